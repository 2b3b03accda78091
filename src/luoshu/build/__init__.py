"""luoshu.build."""
