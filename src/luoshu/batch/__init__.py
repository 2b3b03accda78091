"""``luoshu batch``: many book projects built as one job, on this machine or a Dask cluster.

    sources → (report: what is up to date) → runner (pool / cluster) → outputs → report

``sources`` finds the projects; ``inputs`` reads one, fingerprints what its build reads and
packs it into a bundle for a worker; ``environment`` is what every machine must share for the
same bytes; ``jobs`` is one build where it runs; ``pool`` and ``cluster`` are the runners;
``outputs`` puts a project's folder in place whole; ``report`` is OUT/batch-report.json;
``run`` ties them together and ``console`` is the command's face on the terminal.
"""

from .run import BatchResult, run_batch
from .sources import BatchProject, find_projects
from .task import Settings

__all__ = ["BatchProject", "BatchResult", "Settings", "find_projects", "run_batch"]
