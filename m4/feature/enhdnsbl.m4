dnl  FEATURE(`enhdnsbl', `zone'[, `message' | `quarantine' | `discard'[, `t' | `message'[,
dnl  `pattern'...]]]): like dnsbl, but only the listed answers (default any) count.
ifelse(defn(`_MM_ARG1'), `', `_MM_FAIL(`FEATURE(enhdnsbl) needs the list zone as argument')')
ifdef(`_MM_EDNSBL_MAP', `', `define(`_MM_EDNSBL_MAP', `1')divert(6)Kednsbl dns -R A -a. -T<TMP> -r`'ifdef(`EDNSBL_TO', `EDNSBL_TO', `5')
divert(-1)')
define(`_MM_BL_MSG', ifelse(defn(`_MM_ARG2'), `', ``"550 Rejected: " $&{client_addr} " listed at '_MM_ARG1`"'', defn(`_MM_ARG2'), `quarantine', `_MM_ARG1', `defn(`_MM_ARG2')'))
ifelse(defn(`_MM_ARG2'), `quarantine', `define(`_MM_BL_DO', `$`'#error $`'@ quarantine')',
	defn(`_MM_ARG2'), `discard', `define(`_MM_BL_DO', `$`'#discard')',
	`define(`_MM_BL_DO', `$`'#error $`'@ 5.7.1')')
divert(8)dnl
R$*			$: $&{client_addr}
R$-.$-.$-.$-		$: <?> $(ednsbl $4.$3.$2.$1._MM_ARG1. $: OK $)
R<?>OK			$: OKSOFAR
ifelse(defn(`_MM_ARG3'), `', `R<?>$+<TMP>		$: TMPOK
', `R<?>$+<TMP>		$#error $@ 4.4.3 $: ifelse(defn(`_MM_ARG3'), `t', `"451 Temporary lookup failure of " $&{client_addr} " at '_MM_ARG1`"', `_MM_ARG3')
')dnl
R<?>ifelse(defn(`_MM_ARG4'), `', `$+', `_MM_ARG4')		_MM_BL_DO $: _MM_BL_MSG
ifelse(defn(`_MM_ARG5'), `', `', `R<?>_MM_ARG5		_MM_BL_DO $: _MM_BL_MSG
')dnl
ifelse(defn(`_MM_ARG6'), `', `', `R<?>_MM_ARG6		_MM_BL_DO $: _MM_BL_MSG
')dnl
ifelse(defn(`_MM_ARG7'), `', `', `R<?>_MM_ARG7		_MM_BL_DO $: _MM_BL_MSG
')dnl
ifelse(defn(`_MM_ARG8'), `', `', `R<?>_MM_ARG8		_MM_BL_DO $: _MM_BL_MSG
')dnl
divert(-1)
