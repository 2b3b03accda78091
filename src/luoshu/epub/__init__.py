"""The EPUB 3: the spine documents (``documents``, also the preview's), the package's files
(``package``: stylesheets, photos, the cover from ``cover``/``cover_lines``, fonts from
``fonts``), the writer (``writer``) and the validators it must pass (``validate``: EPUBCheck,
DAISY Ace)."""
