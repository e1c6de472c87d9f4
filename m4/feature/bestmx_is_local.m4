dnl  FEATURE(`bestmx_is_local'[, `domain ...']): a host whose best MX is one of
dnl  our names (class w) is delivered here; with an argument only hosts under
dnl  those domains (class B) are looked up.
divert(6)Kbestmx bestmx
ifelse(defn(`_MM_ARG1'), `', `', `CB`'_MM_ARG1
')dnl
divert(-1)
define(`_MM_NET_CONFIG', `1')
divert(1)dnl
ifelse(defn(`_MM_ARG1'), `', `R$* < @ $* > $*			$: $1 < @ $2 @@ $(bestmx $2 $) > $3
', `R$* < @ $* $=B . > $*		$: $1 < @ $2 $3 . @@ $(bestmx $2 $3 . $) > $4
')dnl
R$* $=O $* < @ $* @@ $=w . > $*	$@ $>Recurse $1 $2 $3		route via us: start over
R< @ $* @@ $=w . > : $*		$@ $>Recurse $3
R$* < @ $* @@ $=w . > $*	$@ $>CanonLocal < $1 >		MX is us: local
R$* < @ $* @@ $* > $*		$: $1 < @ $2 > $4		MX elsewhere: as before
divert(-1)
