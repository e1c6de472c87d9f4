dnl  FEATURE(`delay_checks'[, `friend' | `hater'[, `n']]): check_mail and
dnl  check_relay run from check_rcpt, so per-recipient Spam: entries can
dnl  exempt (friend) or subject (hater) a recipient.
ifelse(defn(`_MM_ARG1'), `', `',
	_MM_LOWER(substr(defn(`_MM_ARG1'), 0, 1)), `f', `define(`_MM_SPAM', `friend')',
	_MM_LOWER(substr(defn(`_MM_ARG1'), 0, 1)), `h', `define(`_MM_SPAM', `hater')',
	`_MM_FAIL(`FEATURE(delay_checks) takes friend or hater, not "'defn(`_MM_ARG1')`"')')
ifdef(`_MM_SPAM', `_MM_NEEDS(`access_db')')
ifelse(defn(`_MM_ARG2'), `', `define(`_MM_DELAY_COMPAT', `1')')
