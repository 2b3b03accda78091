"""``luoshu import``: Word manuscripts (.docx, from Word or WPS) into book projects.

``safety`` refuses what must not be read (a .doc, an encrypted or damaged file, a zip bomb,
linked or embedded content); ``word`` reads the document with mammoth and python-docx;
``markdown`` turns mammoth's HTML into sections and photos; ``project`` plans and writes the
project's files, never overwriting an editor's work.
"""
