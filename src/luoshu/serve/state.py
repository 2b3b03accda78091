"""What the preview server shows, and the one lock that changes it.

The server's request threads, the text rebuilder and the print worker share one object, a
``PreviewState``. What it holds at any moment is a ``View``: frozen, replaced whole under the
lock and read without it, so a request always sees one consistent preview (documents, print
pages and problems of the same moment) however the rebuilds interleave with it.

Two version numbers tell open pages when to reload: ``text`` moves when the book's documents,
stylesheets or fonts change, ``print`` when the print pages do (or start being made again);
both move when the problems shown in the banner change, since every page shows the banner.
A section page watches ``text`` only, so the print pages arriving seconds after an edit do not
reload the page the editor is reading.

The text *generation* counts successful text rebuilds. Work started for one generation (a
print layout, fonts cut again) is published only if no newer text has been published since:
otherwise it describes a book that is no longer the one shown.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from ..errors import Problem
from .print_pages import PrintPages
from .text import Entry, TextSite


@dataclass(frozen=True)
class View:
    """The preview at one moment."""

    text: TextSite | None = None  # None until the first good build
    pages: PrintPages | None = None
    text_problems: tuple[Problem, ...] = ()
    print_problems: tuple[Problem, ...] = ()
    printing: bool = False  # print pages are being made
    text_version: int = 0
    print_version: int = 0

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Every problem to show, each once (the print layout may find what the text did)."""
        return tuple({str(p): p for p in (*self.text_problems, *self.print_problems)}.values())

    @property
    def versions(self) -> dict[str, int]:
        return {"text": self.text_version, "print": self.print_version}


class PreviewState:
    """The current View, and the only way to change it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._view = View()
        self._generation = 0

    @property
    def view(self) -> View:
        return self._view  # replaced whole, never changed: no lock needed to read it

    @property
    def generation(self) -> int:
        return self._generation

    def text_built(self, site: TextSite) -> int:
        """Show *site*, and no text problems; returns its generation."""
        with self._lock:
            self._generation += 1
            self._publish(text=site, text_problems=())
            return self._generation

    def text_failed(self, problems: Iterable[Problem]) -> None:
        """Keep showing the last good text, under a banner with *problems*."""
        with self._lock:
            self._publish(text_problems=tuple(problems))

    def fonts_refreshed(self, generation: int, files: Mapping[str, Entry],
                        stale: Iterable[str]) -> bool:
        """Serve the stylesheets and fonts cut for *generation*, if it is still the one shown."""
        with self._lock:
            if generation != self._generation or self._view.text is None:
                return False
            self._publish(text=self._view.text.with_files(files, stale))
            return True

    def print_started(self, generation: int) -> None:
        with self._lock:
            if generation == self._generation:
                self._publish(printing=True)

    def print_finished(self, generation: int, result: PrintPages | tuple[Problem, ...] | None
                       ) -> PrintPages | None:
        """Show the print pages (or the problems) made for *generation*; None for a job that
        was stopped. Returns the pages no longer shown (their folder may go), if any."""
        with self._lock:
            if generation != self._generation:
                return result if isinstance(result, PrintPages) else None
            if isinstance(result, PrintPages):
                old = self._view.pages
                self._publish(pages=result, print_problems=(), printing=False)
                return old
            if result is None:
                self._publish(printing=False)
            else:
                self._publish(print_problems=tuple(result), printing=False)
            return None

    def _publish(self, **changes: object) -> None:
        """Replace the view (the caller holds the lock), moving the versions it must."""
        old, new = self._view, replace(self._view, **changes)
        text = new.text is not old.text
        printed = new.pages is not old.pages or new.printing != old.printing
        banner = new.problems != old.problems
        self._view = replace(new, text_version=old.text_version + (text or banner),
                             print_version=old.print_version + (printed or banner))
