dnl  FEATURE(`always_add_domain'[, `domain']): local addresses get a domain
dnl  (ours, or the one given) even for local delivery.
_MM_BEFORE_LOCAL
