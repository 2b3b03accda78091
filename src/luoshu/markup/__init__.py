"""Markdown → XHTML, the same for every output: a section's conversion (``convert``), photos as
figures (``figures``), what untrusted HTML, CSS and SVG may do (``untrusted``), and the one
serializer and escape (``xhtml``)."""
