"""luoshu.project."""
