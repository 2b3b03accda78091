"""Chinese text rules, independent of any output: character classes (``chars``), punctuation
normalization (``punctuation``, over the ``textmask`` that keeps code and URLs untouched),
Han–Latin spacing (``spacing``), the typography checks of ``luoshu check`` (``typocheck``) and
the words luoshu sets in a book, by script (``labels``)."""
