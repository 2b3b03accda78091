"""luoshu.zh."""
