"""The PDFs written from the print layout: the reading copy (``write``), the press file
(``press``: PDF/X-4, CMYK through ``profile``, ToUnicode repairs in ``tounicode``), the archival
PDF (``pdfa``, ``pdfa_content``), their own checkers (``pdfx_check``, ``pdfa_check``) and the
PDF reading they share (``parts``)."""
