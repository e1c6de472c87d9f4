dnl  FEATURE(`nouucp', `reject' | `nospecial'): ! is not UUCP routing;
dnl  with reject, check_rcpt refuses bang paths.
ifelse(defn(`_MM_ARG1'), `', `_MM_FAIL(`FEATURE(nouucp) needs an argument: reject or nospecial')',
	substr(defn(`_MM_ARG1'), 0, 1), `r', `define(`_MM_NO_UUCP', `r')',
	substr(defn(`_MM_ARG1'), 0, 1), `n', `define(`_MM_NO_UUCP', `n')',
	`_MM_FAIL(`FEATURE(nouucp) takes reject or nospecial')')
