"""Photos: whether a file can be used and printed (``photos``: formats, limits, printed size,
preflight), image metadata stripping (``metadata``) and photos fit for screens (``screen``)."""
