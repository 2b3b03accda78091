"""luoshu.pdf."""
