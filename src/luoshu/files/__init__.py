"""luoshu.files."""
