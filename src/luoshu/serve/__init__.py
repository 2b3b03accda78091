"""luoshu.serve."""
