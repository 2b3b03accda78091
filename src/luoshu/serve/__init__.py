"""``luoshu serve``: the live preview. The server (``server``), the EPUB's pages as served
(``text``) and the print pages as images (``print_pages``), the HTML around them (``pages``),
what is shown now (``state``), what a saved file reaches (``watch``) and the workers that
rebuild it (``rebuild``)."""
