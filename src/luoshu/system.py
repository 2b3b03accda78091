"""Facts about this machine that change how well (not whether) luoshu works."""

from __future__ import annotations

import ctypes.util


def missing_harfbuzz_subset() -> bool:
    """True when libharfbuzz-subset is absent: WeasyPrint then subsets fonts with fontTools,
    about 40× slower for CJK fonts with tens of thousands of glyphs."""
    return ctypes.util.find_library("harfbuzz-subset") is None
