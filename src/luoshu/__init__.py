"""luoshu (洛书): a publication builder for Chinese-language publishers.

A book project (``book.toml``, Markdown under ``manuscript/``, photos, house styles and fonts)
becomes an EPUB 3, a print PDF and, later, an archive package. ``luoshu.build.build_book`` is
the entry point for programs; ``luoshu.cli`` is the command line.
"""

__version__ = "0.1.0"
