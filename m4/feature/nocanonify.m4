dnl  FEATURE(`nocanonify'[, `canonify_hosts']): no $[ $] lookups in
dnl  Canonify2 except for class Canonify and daemons with flag c.
ifelse(defn(`_MM_ARG1'), `', `', _MM_LOWER(defn(`_MM_ARG1')), `canonify_hosts', `define(`_MM_CANONIFY_HOSTS', `1')',
	`_MM_FAIL(`FEATURE(nocanonify) knows only canonify_hosts, not "'defn(`_MM_ARG1')`"')')
