"""luoshu.fonts."""
