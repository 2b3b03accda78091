"""``luoshu check --pdf``: the page audit (luoshu.pdf.audit) of a built print PDF, as findings
of ``luoshu check``, read with the project's page geometry."""

from __future__ import annotations

from pathlib import Path

from ..errors import ProjectError
from ..pdf.audit import audit_pdf
from ..project.config import load_config
from .project import Finding


def page_findings(project: Path, pdf: Path) -> list[Finding]:
    """The audit of *pdf*, a print PDF of *project* (book.toml gives its page geometry), as
    warnings located at the PDF and the page; [] when book.toml cannot be read (the project's
    own findings say why)."""
    try:
        options = load_config(project.resolve()).print
    except ProjectError:
        return []
    where = str(pdf)
    return [Finding(where, None, None, f"page-{f.code}", "warning",
                    f"page {f.page}" + (f" (folio {f.folio})" if f.folio else "")
                    + f": {f.message}")
            for f in audit_pdf(pdf, options)]
