"""The file system, the one way: where a project's files are (``paths``), the one gate through
which outputs read them (``gate``), reading its text files (``text``), and writing outputs whole
or not at all (``output``: atomic writes, hashing; ``zips``: reproducible zips)."""
