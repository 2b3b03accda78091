"""luoshu.archive."""
