"""The deposit package: the BagIt bag and its zip (``bag``), its Dublin Core and build record
(``record``), and ``luoshu verify``, which re-checks a package as an archivist receives it
(``verify``)."""
