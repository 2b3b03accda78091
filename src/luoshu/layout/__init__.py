"""luoshu.layout."""
