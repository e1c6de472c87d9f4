divert(-1)
dnl
dnl  policy.m4 -- the rulesets the SMTP server consults: check_relay,
dnl  check_mail, check_rcpt (with delay_checks: checkrelay, checkmail,
dnl  checkrcpt behind a new check_rcpt), their Local_* hooks, the access map
dnl  lookups (D, A, E, F, U, SearchList), CanonAddr, ParseRecipient,
dnl  Rcpt_ok, Relay_ok, trust_auth, RateControl, ConnControl, greet_pause,
dnl  BadMX; the rules of require_rdns, block_bad_helo and bestmx_is_local.
dnl
dnl  The verdicts (OK, RELAY, $#error with code and text, $#discard) are
dnl  those a sendmail.cf gives for the same .mc, maps and macros.
dnl
dnl  _MM_REJECT: the $#error arguments for REJECT in the access map
define(`_MM_REJECT', `ifdef(`confREJECT_MSG', `$: confREJECT_MSG', `$`'@ 5.7.1 $: "550 Access denied"')')
dnl  SearchList may also call A when rates or connections are counted
dnl  _MM_BAD_HELO: the refusal of FEATURE(block_bad_helo)
define(`_MM_BAD_HELO', `$`'#error $`'@ 5.7.1 $`':"550 bogus HELO name used: " $`'&s')
define(`_MM_SRC_A', `ifdef(`_MM_FEAT_ratecontrol', ` A', `ifdef(`_MM_FEAT_conncontrol', ` A')')')
divert(0)dnl
_MM_ACCESS(`
######################################################################
#  D: look a domain up in the access map, then its parents
#  in:  <key> <default> <+|! tag> <passthru>   out: <result> <passthru>
######################################################################
SD
R<$*> <$+> <$- $-> <$*>		$: < $(access $4:$1 $: ? $) > <$1> <$2> <$3 $4> <$5>
R<?> <$+> <$+> <+ $-> <$*>	$: < $(access $1 $: ? $) > <$1> <$2> <+ $3> <$4>
ifdef(`_MM_FEAT_lookupdotdomain', `R<?> <$+.$+> <$+> <$- $-> <$*>	$: < $(access $5:.$2 $: ? $) > <$1.$2> <$3> <$4 $5> <$6>
R<?> <$+.$+> <$+> <+ $-> <$*>	$: < $(access .$2 $: ? $) > <$1.$2> <$3> <+ $4> <$5>
')dnl
ifdef(`_MM_ACCESS_SKIP', `R<SKIP> <$+> <$+> <$- $-> <$*>	$@ <$2> <$5>
')dnl
R<?> <[$+.$-]> <$+> <$- $-> <$*>	$@ $>D <[$1]> <$3> <$4 $5> <$6>	IPv4 net
R<?> <[$+::$-]> <$+> <$- $-> <$*>	$: $>D <[$1]> <$3> <$4 $5> <$6>	IPv6 net
R<?> <[$+:$-]> <$+> <$- $-> <$*>	$: $>D <[$1]> <$3> <$4 $5> <$6>
R<?> <$+.$+> <$+> <$- $-> <$*>	$@ $>D <$2> <$3> <$4 $5> <$6>	parent domain
R<?> <$+> <$+> <$- $-> <$*>	$@ <$2> <$5>			not found
R<$* <TMPF>> <$+> <$+> <$- $-> <$*>	$@ <<TMPF>> <$6>
R<$*> <$+> <$+> <$- $-> <$*>	$@ <$1> <$6>

######################################################################
#  A: look an IP address up, then its networks
######################################################################
SA
R<$+> <$+> <$- $-> <$*>		$: < $(access $4:$1 $: ? $) > <$1> <$2> <$3 $4> <$5>
R<?> <$+> <$+> <+ $-> <$*>	$: < $(access $1 $: ? $) > <$1> <$2> <+ $3> <$4>
ifdef(`_MM_ACCESS_SKIP', `R<SKIP> <$+> <$+> <$- $-> <$*>	$@ <$2> <$5>
')dnl
R<?> <$+::$-> <$+> <$- $-> <$*>		$@ $>A <$1> <$3> <$4 $5> <$6>
R<?> <$+:$-> <$+> <$- $-> <$*>		$@ $>A <$1> <$3> <$4 $5> <$6>
R<?> <$+.$-> <$+> <$- $-> <$*>		$@ $>A <$1> <$3> <$4 $5> <$6>
R<?> <$+> <$+> <$- $-> <$*>	$@ <$2> <$5>
R<$* <TMPF>> <$+> <$+> <$- $-> <$*>	$@ <<TMPF>> <$6>
R<$*> <$+> <$+> <$- $-> <$*>	$@ <$1> <$6>
')dnl

######################################################################
#  CanonAddr: canonical form for policy checks;
#  ParseRecipient: strip hosts we relay for off a %-hack address
######################################################################
SCanonAddr
R$*			$: $>Parse0 $>canonify $1

SParseRecipient
R$*				$: <?> $>CanonAddr $1
R<?> $* < @ $* . >		<?> $1 < @ $2 >
R<?> $- < @ $* >		$: <?> $(dequote $1 $) < @ $2 >
R<?> $* $=O $* < @ $* >		$: <NO> $1 $2 $3 < @ $4>
R<?> $*				$@ $1				no route in the user part
ifdef(`_MM_FEAT_relay_entire_domain', `R<NO> $* < @ $* $=m >		$: <RELAY> $1 < @ $2 $3 >
')dnl
ifdef(`_MM_FEAT_relay_hosts_only', `R<NO> $* < @ $=R >		$: <RELAY> $1 < @ $2 >
_MM_ACCESS(`R<NO> $* < @ $+ >		$: <$(access To:$2 $: NO $)> $1 < @ $2 >
R<NO> $* < @ $+ >		$: <$(access $2 $: NO $)> $1 < @ $2 >
')', `R<NO> $* < @ $* $=R >		$: <RELAY> $1 < @ $2 $3 >
_MM_ACCESS(`R<NO> $* < @ $+ >		$: $>D <$2> <NO> <+ To> <$1 < @ $2 >>
R<$+> <$+>			$: <$1> $2
')')dnl
ifdef(`_MM_FEAT_relay_based_on_MX', `R<NO> $* < @ $+ >		$: <MX> < : $(mxserved $2 $) : > < $1 < @$2 > >
R<MX> < : $* <TEMP> : > $*	$#TEMP $@ 4.4.0 $: "450 Can not check MX records for recipient host " $1
R<MX> < $* : $=w. : $* > < $+ >	$: <RELAY> $4
R<MX> < : $* : > < $+ >		$: <NO> $2
')dnl
R<RELAY> $* < @ $* >		$@ $>ParseRecipient $1
R<$+> $*			$@ $2

######################################################################
#  check_relay: the connecting client
######################################################################
ifdef(`_MM_CONTROL_NOW', `Scheck_relay
ifdef(`_MM_RATE_NOW', `R$*		$: $>RateControl dummy
')ifdef(`_MM_CONN_NOW', `R$*		$: $>ConnControl dummy
')')dnl
SLocal_check_relay
S`'_MM_CK`'relay
ifdef(`_MM_FEAT_use_client_ptr', `R$* $| $*		$: $&{client_ptr} $| $2
')dnl
R$*			$: $1 $| $>Local_check_relay $1
R$* $| $* $| $#$*	$#$3
R$* $| $* $| $*		$@ $>Basic_check_relay $1 $| $2

SBasic_check_relay
R$*			$: < $&{deliveryMode} > $1
R< d > $*		$@ deferred
R< $* > $*		$: $2
_MM_ACCESS(`R$+ $| $+		$: $>D < $1 > <?> <+ Connect> < $2 >	by name
R   $| $+		$: $>A < $1 > <?> <+ Connect> <>	no name: by address
R<?> <$+>		$: $>A < $1 > <?> <+ Connect> <>	then by address
R<?> <$*>		$: OK
R<$={Accept}> <$*>	$@ $1
R<REJECT> <$*>		$#error _MM_REJECT
R<DISCARD> <$*>		$#discard $: discard
R<QUARANTINE:$+> <$*>	$#error $@ quarantine $: $1
R<ERROR:$-.$-.$-:$+> <$*>	$#error $@ $1.$2.$3 $: $4
R<ERROR:$+> <$*>		$#error $: $1
R<$* <TMPF>> <$*>		$#error $@ 4.3.0 $: _MM_TMPF
R<$+> <$*>		$#error $: $1
')dnl
ifdef(`_MM_FEAT_ratecontrol', `ifdef(`_MM_RATE_NOW', `', `R$*		$: $>RateControl dummy
')')dnl
ifdef(`_MM_FEAT_conncontrol', `ifdef(`_MM_CONN_NOW', `', `R$*		$: $>ConnControl dummy
')')dnl
undivert(8)dnl
ifdef(`_MM_FEAT_require_rdns', `R$*			$: $&{client_addr} $| $&{client_resolve}
R$=R $*			$@ RELAY			a client we relay for
R$* $| OK		$@ OK				its name maps back
R$* $| FAIL		$#error $@ 5.7.1 $: 550 Fix reverse DNS for $1
R$* $| TEMP		$#error $@ 4.1.8 $: 451 Client IP address $1 does not resolve
R$* $| FORGED		$#error $@ 4.1.8 $: 451 Possibly forged hostname for $1
')dnl

######################################################################
#  check_mail: the envelope sender
######################################################################
SLocal_check_mail
S`'_MM_CK`'mail
R$*			$: $1 $| $>Local_check_mail $1
R$* $| $#$*		$#$2
R$* $| $*		$@ $>Basic_check_mail $1

SBasic_check_mail
R$*			$: < $&{deliveryMode} > $1
R< d > $*		$@ deferred
R< $* > $*		$: $2
R$*			$: $1 $| $>tls_client $&{verify} $| MAIL
R$* $| $#$+		$#$2
R$* $| $*		$: $1
R<>			$@ <OK>				the null sender is always fine
ifdef(`_MM_FEAT_accept_unqualified_senders', `', `R$+			$: <?> $1
R<?><$+>		$: <@> <$1>
R<?>$+			$: <@> <$1>
R$*			$: $&{daemon_flags} $| $1
R$* f $* $| <@> < $* @ $- >	$: < ? $&{client_name} > < $3 @ $4 >
R$* u $* $| <@> < $* >	$: <?> < $3 >
R$* $| $*		$: $2
R<@> < $* @ localhost >	$: < ? $&{client_name} > < $1 @ localhost >
R<@> < $* @ [127.0.0.1] >
			$: < ? $&{client_name} > < $1 @ [127.0.0.1] >
R<@> < $* @ [IPv6:0:0:0:0:0:0:0:1] >
			$: < ? $&{client_name} > < $1 @ [IPv6:0:0:0:0:0:0:0:1] >
R<@> < $* @ [IPv6:::1] >
			$: < ? $&{client_name} > < $1 @ [IPv6:::1] >
R<@> < $* @ localhost.$m >
			$: < ? $&{client_name} > < $1 @ localhost.$m >
_MM_UUCP_OK(`R<@> < $* @ localhost.UUCP >
			$: < ? $&{client_name} > < $1 @ localhost.UUCP >
')dnl
R<@> $*			$: $1
R<? $=w> $*		$: $2				a local client may
R<? $+> <$+>		$#error $@ 5.5.4 $: "553 Real domain name required for sender address"
R<?> $*			$: $1
')dnl
R$*			$: <?> $>CanonAddr $1
R<?> $* < @ $+ . >	<?> $1 < @ $2 >
R<?> $* < @ $* $=P >	$: <OKR> $1 < @ $2 $3 >
R<?> $* < @ $j >	$: <OKR> $1 < @ $j >
ifdef(`_MM_FEAT_accept_unresolvable_domains', `R<?> $* < @ $+ >	$: <OKR> $1 < @ $2 >
', `R<?> $* < @ $+ >	$: <? $(resolve $2 $: $2 <PERM> $) > $1 < @ $2 >
R<? $* <$->> $* < @ $+ >
			$: <$2> $3 < @ $4 >
')dnl
_MM_ACCESS(`R<$+> $+ < @ $* >	$: @<$1> <$2 < @ $3 >> $| <F:$2@$3> <U:$2@> <D:$3>
R<$+> $+		$: @<$1> <$2> $| <U:$2@>
R@ <$+> <$*> $| <$+>	$: <@> <$1> <$2> $| $>SearchList <+ From> $| <$3> <>
R<@> <$+> <$*> $| <$*>	$: <$3> <$1> <$2>
R<?> <$+> <$*>		$: <$1> $2
R<$+> <$+> <$*>		$: <$1> $3
')dnl
ifdef(`_MM_FEAT_accept_unqualified_senders', `', `R<?> $*			$: $&{daemon_flags} $| <?> $1
R$* u $* $| <?> $*	$: <OKR> $3
R$* $| $*		$: $2
R<?> $*			$: < ? $&{client_addr} > $1
R<?> $*			$@ <OKR>			unqualified from here: fine
R<? $+> $*		$#error $@ 5.5.4 $: "553 Domain name required for sender address " $&f
')dnl
R<?> $*			$: @ $1
R<$={ResOk}> $*		$: @ $2
R<TEMP> $*		$#error $@ 4.1.8 $: "451 Domain of sender address " $&f " does not resolve"
R<PERM> $*		$#error $@ 5.1.8 $: "553 Domain of sender address " $&f " does not exist"
_MM_ACCESS(`R<$={Accept}> $*	$# $1
R<DISCARD> $*		$#discard $: discard
R<QUARANTINE:$+> $*	$#error $@ quarantine $: $1
R<REJECT> $*		$#error _MM_REJECT
R<ERROR:$-.$-.$-:$+> $*		$#error $@ $1.$2.$3 $: $4
R<ERROR:$+> $*		$#error $: $1
R<<TMPF>> $*		$#error $@ 4.3.0 $: _MM_TMPF
R<$+> $*		$#error $: $1
')dnl
ifdef(`_MM_FEAT_badmx', `R@ $*<@$+>$*		$: $1<@$2>$3 $| $>BadMX $2
R$* $| $#$*		$#$2

SBadMX
R$+				$:<MX><$1><:$(mxlist $1$):><:>
R<MX><$+><:$*<TEMP>:><$*>	$#error $@ 4.1.2 $: "450 MX lookup failure for "$1
R<MX><$*><:$+:$*><:$*>		<MX><$1><:$3><: $4 $(badmx $2 $):>	each MX host: a bare address?
R<MX><$*><$*><$*<BADMX>:$*>	$#error $@ 5.1.2 $:"550 Illegal MX record for host "$1
R<MX><$*><$*><$*>		$:<MX><$1><$3><$2>
R<MX><$*><:$+:$*><:$*>		<MX><$1><:$3><:$4 $(dnsA $2 $) :>	their addresses
R<MX><$*><$*><$*>		$:<MX><$1><$3><$2>
R<MX><$*><:$+:$*><:$*>		<MX><$1><:$3><:$4 $(BadMXIP $2 $) :>	private ones?
R<MX><$*><$*><$*<BADMXIP>:$*>	$#error $@ 5.1.2 $:"550 Invalid MX record for host "$1
')dnl

######################################################################
#  check_rcpt: the recipient, and whether we relay for the client
######################################################################
SLocal_check_rcpt
S`'_MM_CK`'rcpt
R$*			$: $1 $| $>Local_check_rcpt $1
R$* $| $#$*		$#$2
R$* $| $*		$@ $>Basic_check_rcpt $1

SBasic_check_rcpt
R<>			$#error $@ nouser $: "553 User address required"
R$@			$#error $@ nouser $: "553 User address required"
R$*			$: < $&{deliveryMode} > $1
R< d > $*		$@ deferred
R< $* > $*		$: $2
R$*			$: $1 $| @ $>Rcpt_ok $1		the recipient
R$* $| @ $#TEMP $+	$: $1 $| T $2
R$* $| @ $#$*		$#$2
ifdef(`_MM_FEAT_promiscuous_relay', `', `R$* $| @ RELAY		$@ RELAY
R$* $| @ $*		$: O $| $>Relay_ok $1		the client
R$* $| T $+		$: T $2 $| $>Relay_ok $1
R$* $| $#TEMP $+	$#error $2
R$* $| $#$*		$#$2
R$* $| RELAY		$@ RELAY
R T $+ $| $*		$#error $1
R$*			$#error $@ 5.7.1 $: confRELAY_MSG
')dnl

SRcpt_ok
ifdef(`_MM_FEAT_loose_relay_check', `R$*			$: $>CanonAddr $1
R$* < @ $* . >		$1 < @ $2 >
', `R$*			$: $>ParseRecipient $1
')dnl
ifdef(`_MM_FEAT_bestmx_is_local', `ifelse(defn(`_MM_FEAT_bestmx_is_local'), `', `R$* < @ $* > $*			$: $1 < @ $2 @@ $(bestmx $2 $) > $3
', `R$* < @ $* $=B > $*		$: $1 < @ $2 $3 @@ $(bestmx $2 $3 $) > $4
')dnl
R$* $=O $* < @ $* @@ $=w . > $*	$@ $>Rcpt_ok $1 $2 $3		routed via us: check again
R$* < @ $* @@ $=w . > $*	$: $1 < @ $3 > $4		MX is us
R$* < @ $* @@ $* > $*		$: $1 < @ $2 > $4
')dnl
ifdef(`_MM_FEAT_blocklist_recipients', `_MM_ACCESS(`R$*			$: <?> $1
R<?> $+ < @ $=w >	$: <> <$1 < @ $2 >> $| <F:$1@$2> <U:$1@> <D:$2>
R<?> $+ < @ $* >	$: <> <$1 < @ $2 >> $| <F:$1@$2> <D:$2>
R<?> $+			$: <> <$1> $| <U:$1@>
R<> <$*> $| <$+>	$: <@> <$1> $| $>SearchList <+ To> $| <$2> <>
R<@> <$*> $| <$*>	$: <$2> <$1>
R<?> <$*>		$: @ $1
R<$={Accept}> <$*>	$: @ $2
ifdef(`_MM_ACCESS_SKIP', `R<SKIP> <$*>		$: @ $1
')dnl
ifdef(`_MM_DELAY_COMPAT', `R<$={SpamTag}> <$*>	$: @ $2
')dnl
R<REJECT> $*		$#error $@ 5.2.1 $: confRCPTREJ_MSG
R<DISCARD> $*		$#discard $: discard
R<QUARANTINE:$+> $*	$#error $@ quarantine $: $1
R<ERROR:$-.$-.$-:$+> $*		$#error $@ $1.$2.$3 $: $4
R<ERROR:$+> $*		$#error $: $1
R<<TMPF>> $*		$#error $@ 4.3.0 $: _MM_TMPF
R<$+> $*		$#error $: $1
R@ $*			$1
')')dnl
ifdef(`_MM_FEAT_promiscuous_relay', `', `R$*			$: $1 $| $>RelayTLS		trusted certificate?
R$* $| $# $+		$# $2
R$* $| $*		$: $1
R$*			$: $1 $| $>Local_Relay_Auth $&{auth_type}
R$* $| $# $*		$# $2
R$* $| NO		$: $1
R$* $| $*		$: $1 $| $&{auth_type}
R$* $|			$: $1
R$* $| $={TrustAuthMech}	$# RELAY		authenticated
R$* $| $*		$: $1
ifelse(defn(`_MM_NO_UUCP'), `r', `R$* ! $* < @ $* >	$: <REMOTE> $2 < @ BANG_PATH >
R$* ! $*		$: <REMOTE> $2 < @ BANG_PATH >
')dnl
ifelse(defn(`_MM_NO_PERCENT'), `r', `R$* % $* < @ $* >	$: <REMOTE> $1 < @ PERCENT_HACK >
R$* % $*		$: <REMOTE> $1 < @ PERCENT_HACK >
')dnl
ifdef(`_MM_FEAT_relay_entire_domain', `R$+ < @ $* $=m >	$@ RELAY
')dnl
R$+ < @ $=w >		$@ RELAY			one of our names
ifdef(`_MM_FEAT_relay_hosts_only', `R$+ < @ $=R >		$@ RELAY
_MM_ACCESS(`ifdef(`_MM_RELAY_FULL_ADDR', `R$+ < @ $+ >		$: <$(access To:$1@$2 $: ? $)> <$1 < @ $2 >>
R<?> <$+ < @ $+ >>	$: <$(access To:$2 $: ? $)> <$1 < @ $2 >>
', `R$+ < @ $+ >		$: <$(access To:$2 $: ? $)> <$1 < @ $2 >>
')dnl
R<?> <$+ < @ $+ >>	$: <$(access $2 $: ? $)> <$1 < @ $2 >>
')', `R$+ < @ $* $=R >	$@ RELAY			a domain we relay for
_MM_ACCESS(`ifdef(`_MM_RELAY_FULL_ADDR', `R$+ < @ $+ >		$: $1 < @ $2 > $| $>SearchList <+ To> $| <F:$1@$2> <D:$2> <F:$1@> <>
R$+ < @ $+ > $| <$*>	$: <$3> <$1 <@ $2>>
R$+ < @ $+ > $| $*	$: <$3> <$1 <@ $2>>
', `R$+ < @ $+ >		$: $>D <$2> <?> <+ To> <$1 < @ $2 >>
')')')dnl
_MM_ACCESS(`R<RELAY> $*		$@ RELAY
R<$* <TMPF>> $*		$#TEMP $@ 4.3.0 $: _MM_TMPF
R<$*> <$*>		$: $2
')dnl
ifdef(`_MM_FEAT_relay_based_on_MX', `R$+ < @ $+ >		$: < : $(mxserved $2 $) : > $1 < @ $2 >
R< : $* <TEMP> : > $*	$#TEMP $@ 4.4.0 $: "450 Can not check MX records for recipient host " $1
R<$* : $=w . : $*> $*	$@ RELAY
R< : $* : > $*		$: $2
')dnl
R$*			$: <?> $1
R<?> $* < @ $+ >	$: <REMOTE> $1 < @ $2 >
R<?> $+			$@ RELAY			a local name
R<$+> $*		$: $2

SRelay_ok
R$*			$: $&{client_addr}
R$@			$@ RELAY			no address: submitted here
R0			$@ RELAY
R127.0.0.1		$@ RELAY
RIPv6:0:0:0:0:0:0:0:1	$@ RELAY
RIPv6:::1		$@ RELAY
R$=R $*			$@ RELAY			an address we relay for
_MM_ACCESS(`R$*			$: $>A <$1> <?> <+ Connect> <$1>
R<RELAY> $*		$@ RELAY
R<<TMPF>> $*		$#TEMP $@ 4.3.0 $: _MM_TMPF
R<$*> <$*>		$: $2
')dnl
R$*			$: [ $1 ]
R$=w			$@ RELAY			one of our addresses
ifdef(`_MM_RELAY_FROM', `R$*			$: <?> $>CanonAddr $&f
R<?> $+ < @ $+ . >	<?> $1 < @ $2 >
ifdef(`_MM_FEAT_relay_local_from', `R<?> $+ < @ $=w >	$@ RELAY			a local sender
')dnl
ifdef(`_MM_FEAT_relay_mail_from', `R<?> $+ < @ $+ >	$: <@> $>SearchList <! From> $| <F:$1@$2> ifdef(`_MM_RELAY_FROM_DOMAIN', ifdef(`_MM_FEAT_relay_hosts_only', `<E:$2> ', `<D:$2> '))<>
R<@> <RELAY>		$@ RELAY
R<@> <<TMPF>>		$#TEMP $@ 4.3.0 $: _MM_TMPF
')')dnl
R$*			$: < $&{client_resolve} >
R<TEMP>			$#TEMP $@ 4.4.0 $: "450 Relaying temporarily denied. Cannot resolve PTR record for " $&{client_addr}
R<FORGED>		$#error $@ 5.7.1 $: "550 Relaying denied. IP name possibly forged " $&{client_name}
R<FAIL>			$#error $@ 5.7.1 $: "550 Relaying denied. IP name lookup failed " $&{client_name}
R$*			$: <@> $&{client_name}
R<@> $* $=P		$:<?>  $1 $2
R<@> $+			$:<?>  $[ $1 $]
R$* .			$1
ifdef(`_MM_FEAT_relay_entire_domain', `R<?> $* $=m		$@ RELAY
')dnl
R<?> $=w		$@ RELAY
ifdef(`_MM_FEAT_relay_hosts_only', `R<?> $=R		$@ RELAY
_MM_ACCESS(`R<?> $*			$: <$(access Connect:$1 $: ? $)> <$1>
R<?> <$*>		$: <$(access $1 $: ? $)> <$1>
')', `R<?> $* $=R			$@ RELAY
_MM_ACCESS(`R<?> $*			$: $>D <$1> <?> <+ Connect> <$1>
')')dnl
_MM_ACCESS(`R<RELAY> $*		$@ RELAY
R<$* <TMPF>> $*		$#TEMP $@ 4.3.0 $: _MM_TMPF
R<$*> <$*>		$: $2
')')dnl
ifdef(`_MM_FEAT_delay_checks', `
######################################################################
#  delay_checks: check_rcpt runs checkrcpt, then checkmail, checkrelay
######################################################################
SFullAddr
R$* <@ $+ . >		$1 <@ $2 >
R$* <@ $* >		$@ $1 <@ $2 >
R$+			$@ $1 <@ $j >

SDelay_TLS_Clt
R$*			$: $1 $| $>tls_client $&{verify} $| MAIL
R$* $| $#$+		$#$2
R$* $| $*		$# $1
R$*			$# $1

SDelay_TLS_Clt2
R$*			$: $1 $| $>tls_client $&{verify} $| MAIL
R$* $| $#$+		$#$2
R$* $| $*		$@ $1
R$*			$@ $1

Scheck_rcpt
R$+			$: $1 $| $>checkrcpt $1
R$+ $| $#error $*	$#error $2
R$+ $| $#discard $*	$#discard $2
R$+ $| $#$*		$@ $>Delay_TLS_Clt $2
R$+ $| $*		$: <?> $>FullAddr $>CanonAddr $1
ifdef(`_MM_SPAM', `R<?> $+ < @ $=w >	$: <> $1 < @ $2 > $| <F: $1@$2 > <D: $2 > <U: $1@>
R<?> $+ < @ $* >	$: <> $1 < @ $2 > $| <F: $1@$2 > <D: $2 >
R<> $* $| <$+>		$: <@> $1 $| $>SearchList <! Spam> $| <$2> <>
R<@> $* $| $*		$: $2 $1
')dnl
ifelse(defn(`_MM_SPAM'), `friend', `R<FRIEND> $+		$@ $>Delay_TLS_Clt2 SPAMFRIEND
R<$*> $+		$: $2
')dnl
ifelse(defn(`_MM_SPAM'), `hater', `R<HATER> $+		$: $1
R<$*> $+		$@ $>Delay_TLS_Clt2 NOSPAMHATER
')dnl
R$*			$: $1 $| $>checkmail <$&f>
R$* $| $#$*		$#$2
R$* $| $*		$: $1 $| $>checkrelay $&{client_name} $| $&{client_addr}
R$* $| $#$*		$#$2
R$* $| $*		$: $1
')dnl
ifdef(`_MM_FEAT_block_bad_helo', `R$*			$: $1 $| <$&{auth_authen}>
R$* $| <$+>		$: $1				authenticated: skip
R$* $| <$*>		$: $1 $| <$&{client_addr}> [$&s]	client address, HELO name
R$* $| <$=R $*> [$*]	$: $1				a client we relay for: skip
R$* $| <0> [$*]		$: $1				sendmail -bs: skip
R$* $| <$*> $=w		_MM_BAD_HELO
R$* $| <$*> [$=w]	_MM_BAD_HELO
R$* $| <$*> [$+.$+]	$: $1				has a dot: fine
R$* $| <$*> [IPv6:$+]	$: $1				an IPv6 literal: fine
R$* $| <$*> [$*]	_MM_BAD_HELO
R$* $| $*		$: $1
')dnl
_MM_ACCESS(`
######################################################################
#  F (full address, +detail variants), E (exact), U (user@),
#  SearchList: try <mark:key> items in turn with one tag
######################################################################
SF
R<$+> <$*> <$- $-> <$*>		$: <$(access $4:$1 $: ? $)> <$1> <$2> <$3 $4> <$5>
R<?> <$+> <$*> <+ $-> <$*>	$: <$(access $1 $: ? $)> <$1> <$2> <+ $3> <$4>
R<?> <$+ + $* @ $+> <$*> <$- $-> <$*>
			$: <$(access $6:$1+*@$3 $: ? $)> <$1+$2@$3> <$4> <$5 $6> <$7>
R<?> <$+ + $* @ $+> <$*> <+ $-> <$*>
			$: <$(access $1+*@$3 $: ? $)> <$1+$2@$3> <$4> <+ $5> <$6>
R<?> <$+ + $* @ $+> <$*> <$- $-> <$*>
			$: <$(access $6:$1@$3 $: ? $)> <$1+$2@$3> <$4> <$5 $6> <$7>
R<?> <$+ + $* @ $+> <$*> <+ $-> <$*>
			$: <$(access $1@$3 $: ? $)> <$1+$2@$3> <$4> <+ $5> <$6>
R<?> <$+> <$*> <$- $-> <$*>	$@ <$2> <$5>
R<$+ <TMPF>> <$*> <$- $-> <$*>	$@ <<TMPF>> <$5>
R<$+> <$*> <$- $-> <$*>		$@ <$1> <$5>

SE
R<$*> <$*> <$- $-> <$*>		$: <$(access $4:$1 $: ? $)> <$1> <$2> <$3 $4> <$5>
R<?> <$+> <$*> <+ $-> <$*>	$: <$(access $1 $: ? $)> <$1> <$2> <+ $3> <$4>
R<?> <$+> <$*> <$- $-> <$*>	$@ <$2> <$5>
R<$+ <TMPF>> <$*> <$- $-> <$*>	$@ <<TMPF>> <$5>
R<$+> <$*> <$- $-> <$*>		$@ <$1> <$5>

SU
R<$+> <$*> <$- $-> <$*>		$: <$(access $4:$1 $: ? $)> <$1> <$2> <$3 $4> <$5>
R<?> <$+> <$*> <+ $-> <$*>	$: <$(access $1 $: ? $)> <$1> <$2> <+ $3> <$4>
R<?> <$+ + $* @> <$*> <$- $-> <$*>
			$: <$(access $5:$1+*@ $: ? $)> <$1+$2@> <$3> <$4 $5> <$6>
R<?> <$+ + $* @> <$*> <+ $-> <$*>
			$: <$(access $1+*@ $: ? $)> <$1+$2@> <$3> <+ $4> <$5>
R<?> <$+ + $* @> <$*> <$- $-> <$*>
			$: <$(access $5:$1@ $: ? $)> <$1+$2@> <$3> <$4 $5> <$6>
R<?> <$+ + $* @> <$*> <+ $-> <$*>
			$: <$(access $1@ $: ? $)> <$1+$2@> <$3> <+ $4> <$5>
R<?> <$+> <$*> <$- $-> <$*>	$@ <$2> <$5>
R<$+ <TMPF>> <$*> <$- $-> <$*>	$@ <<TMPF>> <$5>
R<$+> <$*> <$- $-> <$*>		$@ <$1> <$5>

C{Src}E F D U`'_MM_SRC_A
SSearchList
R<$+> $| <$={Src}:$*> <$*>	$: <$1> $| <$4> $| $>$2 <$3> <?> <$1> <>
R<$+> $| <> $| <?> <>		$@ <?>
R<$+> $| <$+> $| <?> <>		$@ $>SearchList <$1> $| <$2>
R<$+> $| <$*> $| <$+> <>	$@ <$3>
R<$+> $| <$+>			$@ <$2>
')dnl

######################################################################
#  trust_auth: may the authenticated user send as AUTH= someone else
######################################################################
SLocal_trust_auth
Strust_auth
R$*			$: $&{auth_type} $| $1
R$@ $| $*		$#error $@ 5.7.1 $: "550 not authenticated"
R$* $| $&{auth_authen}		$@ identical
R$* $| <$&{auth_authen}>	$@ identical
R$* $| $*		$: $1 $| $>Local_trust_auth $2
R$* $| $#$*		$#$2
R$*			$#error $@ 5.7.1 $: "550 " $&{auth_authen} " not allowed to act as " $&{auth_author}

SLocal_Relay_Auth
_MM_ACCESS(`ifdef(`_MM_FEAT_ratecontrol', `
SRateControl
R$*		$: <A:$&{client_addr}> <E:>
R$+		$: $>SearchList <! ClientRate> $| $1 <>
R<?>		$@ OK
R<$* <TMPF>>	$#error $@ 4.3.0 $: _MM_TMPF
R<0>		$@ OK				no limit
R<$+>		$: <$1> $| $(arith l $@ $1 $@ $&{client_rate} $)
R<$+> $| TRUE	$#error $@ 4.3.2 $: _MM_RATE_REPLY Connection rate limit exceeded.
')ifdef(`_MM_FEAT_conncontrol', `
SConnControl
R$*		$: <A:$&{client_addr}> <E:>
R$+		$: $>SearchList <! ClientConn> $| $1 <>
R<?>		$@ OK
R<$* <TMPF>>	$#error $@ 4.3.0 $: _MM_TMPF
R<0>		$@ OK				no limit
R<$+>		$: <$1> $| $(arith l $@ $1 $@ $&{client_connections} $)
R<$+> $| TRUE	$#error $@ 4.3.2 $: _MM_CONN_REPLY Too many open connections.
')')dnl
ifdef(`_MM_FEAT_greet_pause', `
######################################################################
#  greet_pause: how long to wait before the greeting (access GreetPause:)
######################################################################
SLocal_greet_pause
Sgreet_pause
R$*			$: <$1><?> $| $>Local_greet_pause $1
R<$*><?> $| $#$*	$#$2
R<$*><?> $| $*		$: $1
_MM_ACCESS(`R$+ $| $+		$: $>D < $1 > <?> <! GreetPause> < $2 >
R   $| $+		$: $>A < $1 > <?> <! GreetPause> <>
R<?> <$+>		$: $>A < $1 > <?> <! GreetPause> <>
ifelse(defn(`_MM_FEAT_greet_pause'), `', `R<?> <$*>		$@
', `R<?> <$*>		$# _MM_FEAT_greet_pause
')dnl
R<$* <TMPF>> <$*>	$@
R<$+> <$*>		$# $1
', `R$*			$# _MM_FEAT_greet_pause
')')dnl
