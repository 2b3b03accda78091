"""luoshu.epub."""
