"""Typesetting the print book with WeasyPrint: the print document (``document``), page geometry
(``pagestyle``), the copyright page (``colophon``), the sandboxed fetcher (``fetcher``), the
Chinese line-layout extension (``cjk``), photo placement (``figure_flow`` over ``page_boxes``),
the layout itself (``typeset``) and where each print page begins (``pagemap``, which the EPUB
reads too). Nothing here imports WeasyPrint until a layout is asked for."""
