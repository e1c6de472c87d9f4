dnl  FEATURE(`local_procmail'[, `path'[, `args'[, `flags']]]): deliver locally
dnl  through procmail.
_MM_BEFORE_LOCAL
define(`LOCAL_MAILER_PATH', ifelse(defn(`_MM_ARG1'), `', ifdef(`PROCMAIL_MAILER_PATH', `PROCMAIL_MAILER_PATH', `/usr/bin/procmail'), `_MM_ARG1'))
define(`LOCAL_MAILER_ARGS', ifelse(defn(`_MM_ARG2'), `', ``procmail -a $h -d $u'', `_MM_ARG2'))
define(`LOCAL_MAILER_FLAGS', ifelse(defn(`_MM_ARG3'), `', `SPfhn9', `_MM_ARG3'))
undefine(`_MM_FEAT_local_lmtp')
undefine(`LOCAL_MAILER_DSN_DIAGNOSTIC_CODE')
