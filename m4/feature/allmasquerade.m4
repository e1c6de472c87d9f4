dnl  Recipient headers are masqueraded too.
_MM_BEFORE_LOCAL
