divert(-1)
dnl
dnl  tls.m4 -- rulesets for STARTTLS and AUTH decisions: srv_features,
dnl  clt_features, try_tls, tls_rcpt, tls_client, tls_server,
dnl  TLS_connection, TLS_req, max, RelayTLS, authinfo.  Without access_db
dnl  they only map handshake failures to errors; with it they read the
dnl  TLS_Clt:, TLS_Srv:, TLS_Rcpt:, Try_TLS:, Srv_Features:, Clt_Features:,
dnl  CERTISSUER:, CERTSUBJECT: and AuthInfo: entries of the access map.
dnl
dnl  _MM_CALLHOOK(name): call Local_name first when the .mc defines it
dnl  (LOCAL_TLS_CLIENT and friends); a $# result ends the ruleset there.
define(`_MM_CALLHOOK', `ifdef(`_MM_HOOK_$1', `R$`'*			$: $`'1 $| $>Local_$1 $`'1
R$`'* $| $`'#$`'*		$`'#$`'2
R$`'* $| $`'*		$: $`'1
')')
dnl  _MM_TLSLOOKUP(tag, name macro, addr macro, input pattern): look the peer
dnl  up by name, by address, then the bare tag; leaves $1 $| <result>
define(`_MM_TLSLOOKUP', `R$4		$: $`'1 $| $>D <$&{$2}> <?> <! "$1"> <>
R$`'* $| <?>$`'*	$: $`'1 $| $>A <$&{$3}> <?> <! "$1"> <>
R$`'* $| <?>$`'*	$: $`'1 $| <$(access "$1": $: ? $)>
R$`'* $| <$`'* <TMPF>>	$`'#error $`'@ 4.3.0 $: _MM_TMPF
')
ifdef(`TLS_PERM_ERR', `define(`_MM_TLS_DSN', `5.7.0')define(`_MM_TLS_CODE', `554')',
	`define(`_MM_TLS_DSN', `4.7.0')define(`_MM_TLS_CODE', `454')')
dnl  _MM_TLSFAIL(verify value, text): a failed handshake
define(`_MM_TLSFAIL', `_MM_ACCESS(`R$1 $| <$-:$+> $`'*		$`'#error $`'@ $`'2 $: $`'1 " $2"
R$1 $| $`'*', `R$1')		$`'#error $`'@ _MM_TLS_DSN $: "_MM_TLS_CODE $2"
')
divert(0)dnl

######################################################################
#  STARTTLS and AUTH
######################################################################
Ssrv_features
_MM_CALLHOOK(`srv_features')dnl
_MM_ACCESS(`R$*		$: $>D <$&{client_name}> <?> <! "Srv_Features"> <>
R<?>$*		$: $>A <$&{client_addr}> <?> <! "Srv_Features"> <>
R<?>$*		$: <$(access "Srv_Features": $: ? $)>
R<?>$*		$@ OK
R<$* <TMPF>>$*	$#temp
R<$+>$*		$# $1
')dnl

Sclt_features
_MM_CALLHOOK(`clt_features')dnl
_MM_ACCESS(`R$*		$: $>D <$&{client_name}> <?> <! "Clt_Features"> <>
R<?>$*		$: $>A <$&{client_addr}> <?> <! "Clt_Features"> <>
R<?>$*		$: <$(access "Clt_Features": $: ? $)>
R<?>$*		$@ OK
R<$* <TMPF>>$*	$#temp
R<$+>$*		$# $1
')dnl

Stry_tls
_MM_CALLHOOK(`try_tls')dnl
_MM_ACCESS(`R$*		$: $>D <$&{server_name}> <?> <! "Try_TLS"> <>
R<?>$*		$: $>A <$&{server_addr}> <?> <! "Try_TLS"> <>
R<?>$*		$: <$(access "Try_TLS": $: ? $)>
R<?>$*		$@ OK
R<$* <TMPF>>$*	$#error $@ 4.3.0 $: _MM_TMPF
R<NO>$*		$#error $@ 5.7.1 $: "550 do not try TLS with " $&{server_name} " ["$&{server_addr}"]"
')dnl

Stls_rcpt
_MM_CALLHOOK(`tls_rcpt')dnl
_MM_ACCESS(`R$*			$: $(macro {TLS_Name} $@ $&{server_name} $) $1
R$+			$: <?> $>CanonAddr $1
R<?> $+ < @ $+ . >	<?> $1 <@ $2 >
R<?> $+ < @ $+ >	$: $1 <@ $2 > $| <F:$1@$2> <U:$1@> <D:$2> <E:>
R<?> $+			$: $1 $| <U:$1@> <E:>
R$* $| $+	$: $1 $| $>SearchList <! "TLS_Rcpt"> $| $2 <>
R$* $| <?>	$@ OK
R$* $| <$* <TMPF>>	$#error $@ 4.3.0 $: _MM_TMPF
R$* $| <$+>	$@ $>TLS_connection $&{verify} $| <$2>
')dnl

Stls_client
ifdef(`_MM_HOOK_tls_client', `R$*			$: $1 <?> $>Local_tls_client $1
R$* <?> $#$*		$#$2
R$* <?> $*		$: $1
')dnl
_MM_ACCESS(`R$*		$: $(macro {TLS_Name} $@ $&{client_name} $) $1
_MM_TLSLOOKUP(`TLS_Clt', `client_name', `client_addr', `$* $| $*')dnl
R$*		$@ $>TLS_connection $1
', `R$* $| $*	$@ $>TLS_connection $1
')dnl

Stls_server
_MM_CALLHOOK(`tls_server')dnl
_MM_ACCESS(`R$*		$: $(macro {TLS_Name} $@ $&{server_name} $) $1
_MM_TLSLOOKUP(`TLS_Srv', `server_name', `server_addr', `$*')dnl
')dnl
R$*		$@ $>TLS_connection $1

STLS_connection
_MM_ACCESS(`R$* $| <$*>$*			$: $1 $| <$2>
R$* $| <PERM + $={Tls} $*>	$: $1 $| <503:5.7.0> <$2 $3>
R$* $| <TEMP + $={Tls} $*>	$: $1 $| <403:4.7.0> <$2 $3>
R$* $| <$={Tls} $*>		$: $1 $| <_MM_TLS_CODE:_MM_TLS_DSN> <$2 $3>
')dnl
_MM_TLSFAIL(`SOFTWARE', `TLS handshake failed.')dnl
_MM_TLSFAIL(`PROTOCOL', `STARTTLS failed.')dnl
_MM_TLSFAIL(`DANE_FAIL', `DANE check failed.')dnl
_MM_TLSFAIL(`CONFIG', `STARTTLS temporarily not possible.')dnl
_MM_ACCESS(`R$* $| <$*> <VERIFY>		$: <$2> <VERIFY> <> $1
R$* $| <$*> <VERIFY + $+>	$: <$2> <VERIFY> <$3> $1
R$* $| <$*> <$={Tls}:$->$*	$: <$2> <$3:$4> <> $1
R$* $| <$*> <$={Tls}:$- + $+>$*	$: <$2> <$3:$4> <$5> $1
R$* $| $*			$@ OK				no requirement
R<$*><VERIFY> <> $={TlsVerified}	$@ OK
R<$*><VERIFY> <$+> $={TlsVerified}	$: <$1> <REQ:0> <$2>
R<$*><VERIFY:$-> <$*> $={TlsVerified}	$: <$1> <REQ:$2> <$3>
R<$*><ENCR:$-> <$*> $*		$: <$1> <REQ:$2> <$3>
R<$-:$+><VERIFY $*> <$*>	$#error $@ $2 $: $1 " authentication required"
R<$-:$+><VERIFY $*> <$*> FAIL	$#error $@ $2 $: $1 " authentication failed"
R<$-:$+><VERIFY $*> <$*> NO	$#error $@ $2 $: $1 " not authenticated"
R<$-:$+><VERIFY $*> <$*> NOT	$#error $@ $2 $: $1 " no authentication requested"
R<$-:$+><VERIFY $*> <$*> NONE	$#error $@ $2 $: $1 " other side does not support STARTTLS"
R<$-:$+><VERIFY $*> <$*> CLEAR	$#error $@ $2 $: $1 " STARTTLS disabled locally"
R<$-:$+><VERIFY $*> <$*> $+	$#error $@ $2 $: $1 " authentication failure " $4
R<$*><REQ:$-> <$*>		$: <$1> <REQ:$2> <$3> $>max $&{cipher_bits} : $&{auth_ssf}
R<$*><REQ:$-> <$*> $-		$: <$1> <$2:$4> <$3> $(arith l $@ $4 $@ $2 $)
R<$-:$+><$-:$-> <$*> TRUE	$#error $@ $2 $: $1 " encryption too weak " $4 " less than " $3
R<$-:$+><$-:$-> <$*> $*		$: <$1:$2 ++ $5>
R<$-:$+ ++ >			$@ OK
R<$-:$+ ++ $+ >			$: <$1:$2> <$3>
R<$-:$+> < $+ ++ $+ >		<$1:$2> <$3> <$4>
R<$-:$+> $+			$@ $>TLS_req $3 $| <$1:$2>

STLS_req
R $| $+		$@ OK
R<CN> $* $| <$+>		$: <CN:$&{TLS_Name}> $1 $| <$2>
R<CN:$&{cn_subject}> $* $| <$+>		$@ $>TLS_req $1 $| <$2>
R<CN:$+> $* $| <$-:$+>	$#error $@ $4 $: $3 " CN " $&{cn_subject} " does not match " $1
R<CS:$&{cert_subject}> $* $| <$+>	$@ $>TLS_req $1 $| <$2>
R<CS:$+> $* $| <$-:$+>	$#error $@ $4 $: $3 " Cert Subject " $&{cert_subject} " does not match " $1
R<CI:$&{cert_issuer}> $* $| <$+>	$@ $>TLS_req $1 $| <$2>
R<CI:$+> $* $| <$-:$+>	$#error $@ $4 $: $3 " Cert Issuer " $&{cert_issuer} " does not match " $1
R<CITag:$-> $* $| <$+>	$: <$(access $1:$&{cert_issuer} $: ? $)> $2 $| <$3>
R<?> $* $| <$-:$+>	$#error $@ $3 $: $2 " Cert Issuer " $&{cert_issuer} " not acceptable"
R<OK> $* $| <$+>	$@ $>TLS_req $1 $| <$2>
ROK			$@ OK

Smax
R:		$: 0
R:$-		$: $1
R$-:		$: $1
R$-:$-		$: $(arith l $@ $1 $@ $2 $) : $1 : $2
RTRUE:$-:$-	$: $2
R$-:$-:$-	$: $2
')dnl

SRelayTLS
_MM_ACCESS(`R$*			$: <?> $&{verify}
R<?> $={TlsVerified}	$: OK				verified certificate
R<?> $*			$@ NO
R$*			$: $&{cert_issuer}
R$+			$: $(access CERTISSUER:$1 $)
RRELAY			$# RELAY
RSUBJECT		$: <@> $&{cert_subject}
R<@> $+			$: <@> $(access CERTSUBJECT:$1 $)
R<@> RELAY		$# RELAY
R$*			$: NO
')dnl

Sauthinfo
ifdef(`_MM_FEAT_authinfo', `R$*		$: <$(authinfo AuthInfo:$&{server_name} $: ? $)>
R<?>		$: <$(authinfo AuthInfo:$&{server_addr} $: ? $)>
R<?>		$: <$(authinfo AuthInfo: $: ? $)>
R<?>		$@ no				nothing for this server
R<$*>		$# $1
', `_MM_ACCESS(`R$*		$: $1 $| $>D <$&{server_name}> <?> <! AuthInfo> <>
R$* $| <?>$*	$: $1 $| $>A <$&{server_addr}> <?> <! AuthInfo> <>
R$* $| <?>$*	$: $1 $| <$(access AuthInfo: $: ? $)> <>
R$* $| <?>$*	$@ no
R$* $| <$*> <>	$# $2
')')dnl
