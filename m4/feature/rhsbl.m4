dnl  FEATURE(`rhsbl', `zone'[, `message'[, `t' | `message']]): check_relay looks
dnl  the sender's domain up in a right-hand-side block list (with the access
dnl  map, a From: OK/RELAY entry skips it); t: a DNS failure refuses for now.
ifelse(defn(`_MM_ARG1'), `', `_MM_FAIL(`FEATURE(rhsbl) needs the list zone as argument')')
dnl  (its map is dnsbl's; only a later FEATURE(dnsbl) also writes one, as in sendmail's cf)
ifdef(`_MM_RHSBL_MAP', `', `define(`_MM_RHSBL_MAP', `1')ifdef(`_MM_DNSBL_MAP', `', `divert(6)Kdnsbl host -T<TMP>
divert(-1)')')
divert(8)dnl
R$+			$: <@> $>CanonAddr $&f
R<@> $*<@$+.>		$: <@> <@$2.> $| $>SearchList <+ rhs> $| <F:$1@$2> <D:$2> <>
R<@> $* $| <$={Accept}>	$: OKSOFAR
R<@> $*<@$+.> $| $*	$: <?> $(dnsbl $2._MM_ARG1. $: OK $) $(macro {RHS} $@ $2 $)
R<@> $*			$: OKSOFAR
R<?> OK			$: OKSOFAR
ifelse(defn(`_MM_ARG3'), `', `R<?>$+<TMP>		$: TMPOK
', `R<?>$+<TMP>		$#error $@ 4.7.1 $: ifelse(defn(`_MM_ARG3'), `t', `"451 Temporary lookup failure of " $&{RHS} " at '_MM_ARG1`"', `_MM_ARG3')
')dnl
R<?>$+			$#error $@ 5.7.1 $: ifelse(defn(`_MM_ARG2'), `', `"550 Mail from " $&{RHS} " refused by blackhole site '_MM_ARG1`"', `_MM_ARG2')
divert(-1)
