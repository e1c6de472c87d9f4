dnl  FEATURE(`conncontrol'[, `nodelay'[, `terminate']]): limit per client with
dnl  ClientConn: entries of the access map (421 with terminate, else 452).
_MM_NEEDS(`access_db')
ifelse(defn(`_MM_ARG1'), `', `', _MM_LOWER(defn(`_MM_ARG1')), `nodelay',
	`_MM_NEEDS(`delay_checks')define(`_MM_CONN_NOW', `1')define(`_MM_CONTROL_NOW', `1')',
	`_MM_FAIL(`FEATURE(conncontrol) takes nodelay, not "'defn(`_MM_ARG1')`"')')
ifelse(defn(`_MM_ARG2'), `', `define(`_MM_CONN_REPLY', `452')', defn(`_MM_ARG2'), `terminate', `define(`_MM_CONN_REPLY', `421')',
	`_MM_FAIL(`FEATURE(conncontrol) takes terminate as second argument')')
