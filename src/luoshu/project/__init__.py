"""Reading a book project into the model (luoshu.model.Book): ``book.toml`` (``config``), the
sections (``sections``), ``captions.toml`` (``captions``), the manuscript as a whole
(``manuscript``), and the one loader every command shares (``load``)."""
