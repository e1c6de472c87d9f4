dnl  FEATURE(`mailertable'[, `map spec']): route domains to mailer:host.
_MM_KMAP(`mailertable', `mailertable')
