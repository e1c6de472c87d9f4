dnl  FEATURE(`dnsbl', `zone'[, `message' | `quarantine' | `discard'[, `t' | `message']]):
dnl  reject clients whose address is listed in a DNS block list.
ifelse(defn(`_MM_ARG1'), `', `_MM_FAIL(`FEATURE(dnsbl) needs the list zone as argument')')
ifdef(`_MM_DNSBL_MAP', `', `define(`_MM_DNSBL_MAP', `1')ifdef(`DNSBL_MAP', `', `define(`DNSBL_MAP', `dns -R A')')divert(6)Kdnsbl DNSBL_MAP -T<TMP>ifdef(`DNSBL_MAP_OPT', ` DNSBL_MAP_OPT')
divert(-1)')
define(`_MM_BL_MSG', ifelse(defn(`_MM_ARG2'), `', ``"550 Rejected: " $&{client_addr} " listed at '_MM_ARG1`"'', `defn(`_MM_ARG2')'))
divert(8)dnl
R$*			$: $&{client_addr}
R$-.$-.$-.$-		$: <?> $(dnsbl $4.$3.$2.$1._MM_ARG1. $: OK $)
R<?>OK			$: OKSOFAR
ifelse(defn(`_MM_ARG3'), `', `R<?>$+<TMP>		$: TMPOK
', `R<?>$+<TMP>		$#error $@ 4.4.3 $: ifelse(defn(`_MM_ARG3'), `t', `"451 Temporary lookup failure of " $&{client_addr} " at '_MM_ARG1`"', `_MM_ARG3')
')dnl
ifelse(defn(`_MM_ARG2'), `quarantine', `R<?>$+		$#error $@ quarantine $: _MM_ARG1
', defn(`_MM_ARG2'), `discard', `R<?>$+		$#discard $: _MM_ARG1
', `R<?>$+		$#error $@ 5.7.1 $: _MM_BL_MSG
')dnl
divert(-1)
