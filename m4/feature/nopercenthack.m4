dnl  FEATURE(`nopercenthack', `reject' | `nospecial'): % is no routing operator;
dnl  with reject, check_rcpt refuses addresses with a % in the user part.
ifelse(defn(`_MM_ARG1'), `', `_MM_FAIL(`FEATURE(nopercenthack) needs an argument: reject or nospecial')',
	substr(defn(`_MM_ARG1'), 0, 1), `r', `define(`_MM_NO_PERCENT', `r')',
	substr(defn(`_MM_ARG1'), 0, 1), `n', `define(`_MM_NO_PERCENT', `n')',
	`_MM_FAIL(`FEATURE(nopercenthack) takes reject or nospecial')')
