dnl  check_compat looks each sender/recipient pair up as Compat:sender<@>rcpt
dnl  in the access map: DISCARD, TEMP:text or ERROR:text.
_MM_NEEDS(`access_db')
divert(9)dnl
Scheck_compat
R< $+ > $| $+		$: $1 $| $2
R$+ $| < $+ >		$: $1 $| $2
R$+ $| $+		$: <$(access Compat:$1<@>$2 $:OK $)>
R$* $| $*		$@ ok				no pair: nothing to say
R< DISCARD:$* >		$#discard $: $1 " - discarded by check_compat"
R< DISCARD $* >		$#discard $: $1 " - discarded by check_compat"
R< TEMP:$* >		$#error $@ TEMPFAIL $: $1 " error from check_compat. Try again later"
R< ERROR:$* >		$#error $@ UNAVAILABLE $: $1 " error from check_compat"
divert(-1)
