dnl  FEATURE(`smrsh'[, `path']): programs run through smrsh.
_MM_BEFORE_LOCAL
define(`LOCAL_SHELL_PATH', ifelse(defn(`_MM_ARG1'), `', ifdef(`confEBINDIR', `confEBINDIR', `/usr/libexec')`/smrsh', `_MM_ARG1'))
ifdef(`LOCAL_SHELL_ARGS', `', `define(`LOCAL_SHELL_ARGS', `smrsh -c $u')')
