"""luoshu.images."""
