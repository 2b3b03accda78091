"""The small print book of helpers.books as module-scoped fixtures (``project``, ``book``) for
the print tests of this folder: each module lays it out in a project of its own."""

from helpers.books import book, project  # noqa: F401 - fixtures, found by name

