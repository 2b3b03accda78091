"""luoshu.markup."""
