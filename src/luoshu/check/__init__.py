"""luoshu.check."""
