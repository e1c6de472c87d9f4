dnl  No masquerading for the local mailer.
_MM_BEFORE_LOCAL
