dnl  FEATURE(`local_lmtp'[, `path'[, `args']]): deliver locally through an
dnl  LMTP program (mail.local -l).
_MM_BEFORE_LOCAL
define(`LOCAL_MAILER_PATH', ifelse(defn(`_MM_ARG1'), `', ifdef(`confEBINDIR', `confEBINDIR', `/usr/libexec')`/mail.local', `_MM_ARG1'))
define(`LOCAL_MAILER_FLAGS', `PSXmnz9')
define(`LOCAL_MAILER_ARGS', ifelse(defn(`_MM_ARG2'), `', `mail.local -l', `_MM_ARG2'))
define(`LOCAL_MAILER_DSN_DIAGNOSTIC_CODE', `SMTP')
