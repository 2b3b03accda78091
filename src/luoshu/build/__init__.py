"""``luoshu build``: the stage script (``stages``: project folder in, output folder out) and
one renderer contract per output format (``renderers``).

``build_book`` is the entry point for programs."""

from .stages import BuildResult, build_book

__all__ = ["BuildResult", "build_book"]
