"""House fonts by role (body, heading, caption, code): resolving ``fonts.toml`` to font files
and the no-tofu check (``roles``), and which characters each role draws (``usage``). The
default roles are package data: ``fonts.toml`` in this folder."""
