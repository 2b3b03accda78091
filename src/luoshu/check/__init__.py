"""``luoshu check``: everything a build would stop on, found by the build's own loader, plus
the typography checks, as findings with file, line, column, code and severity (``project``)."""
