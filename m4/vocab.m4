divert(-1)
#
#  The .mc vocabulary: every macro an admin's .mc may call, and the default
#  values of the conf* settings.  Nothing here writes cf text by itself:
#  the macros below only fill the diversions that proto.m4 empties, in its
#  own order, once the whole .mc has been read (m4wrap at the bottom).
#
#  Where .mc text goes (the numbers are those sendmail's library uses, so
#  an .mc that switches diversions by hand still lands in the same place):
#     1  LOCAL_NET_CONFIG     rules near the end of Parse1
#     2  LOCAL_RULE_3         rules inside Canonify2
#     3  LOCAL_RULE_0         rules of ParseLocal (98)
#     4  LOCAL_UUCP           UUCP routing rules of Parse1
#     5  class lines          EXPOSED_USER, RELAY_DOMAIN, ...
#     6  LOCAL_CONFIG         K, C, F, D, O lines of the admin
#     7  MAILER()             mailer rulesets and M lines
#     8  LOCAL_DNSBL          rules at the end of Basic_check_relay
#     9  LOCAL_RULESETS       admin rulesets (Local_check_rcpt, ...)
#    10  LOCAL_RULE_1         body of ruleset 1 (sender)
#    11  LOCAL_RULE_2         body of ruleset 2 (recipient)
#
#  Internal names start with _MM_; nothing else of ours can collide with
#  words of cf text.

# `#' must not hide macros on rule lines, and a rule may say "format".
changecom()
undefine(`format')

dnl An .mc written for sendmail often starts by including sendmail's cf.m4
dnl (Debian: /usr/share/sendmail/cf/m4/cf.m4).  This library is loaded
dnl already, so an include of any file named cf.m4 is skipped.  (Without
dnl arguments the word stays a word, as a builtin: rules say :include:.)
define(`include', `ifelse(`$#', `0', ``$0'', regexp(`$1', `\(^\|/\)cf\.m4$'), `-1', `builtin(`include', `$1')')')

dnl -------------------------------------------------------------------------
dnl errors: name the .mc line, stop m4 (pending diversions are dropped, so
dnl no cf is produced).  Inside FEATURE() and friends the line is that of
dnl the call, kept in _MM_WHERE.
define(`_MM_HERE', `ifdef(`_MM_WHERE', `_MM_WHERE', `__file__:__line__')')
define(`_MM_FAIL', `errprint(_MM_HERE`: *** ERROR: $1
')m4exit(`1')')
define(`_MM_WARN', `errprint(_MM_HERE`: *** WARNING: $1
')')

dnl diversion stack, for files included from inside a diversion
define(`_MM_PUSHDIV', `pushdef(`_MM_DIVS', divnum)divert($1)')
define(`_MM_POPDIV', `divert(_MM_DIVS)popdef(`_MM_DIVS')')
define(`PUSHDIVERT', defn(`_MM_PUSHDIV'))
define(`POPDIVERT', defn(`_MM_POPDIV'))

dnl -------------------------------------------------------------------------
dnl what exists: one name per file in feature/, mailer/, ostype/, domain/, hack/
define(`_MM_FEATURES', ` accept_unqualified_senders accept_unresolvable_domains access_db allmasquerade always_add_domain blacklist_recipients blocklist_recipients delay_checks dnsbl domaintable enhdnsbl generics_entire_domain genericstable greet_pause limited_masquerade local_lmtp local_maildir local_no_masquerade local_procmail loose_relay_check lookupdotdomain mailertable masquerade_entire_domain masquerade_envelope no_default_msa nocanonify notsticky nouucp nullclient preserve_local_plus_detail preserve_luser_host promiscuous_relay ratecontrol conncontrol redirect relay_based_on_MX relay_entire_domain relay_hosts_only relay_local_from relay_mail_from smrsh stickyhost use_ct_file use_cw_file virtuser_entire_domain virtusertable authinfo badmx bestmx_is_local block_bad_helo check_other compat_check nopercenthack queuegroup require_rdns msp rhsbl use_client_ptr ')
define(`_MM_MAILERS', ` local smtp uucp procmail ')
define(`_MM_OSTYPES', ` aix5 bsd4.4 darwin debian freebsd6 gnu hpux11 linux openbsd solaris11 solaris8 unknown ')
define(`_MM_DOMAINS', ` generic ')
define(`_MM_HACKS', ` ')

dnl _MM_KNOWN(kind, name, list): stop unless name is in list
define(`_MM_KNOWN', `ifelse(index(`$3', ` $2 '), `-1',
	`_MM_FAIL(`unknown $1 "$2": monomail has none by that name (see m4/README.md)')')')

dnl arguments of the FEATURE/HACK/OSTYPE/DOMAIN being read: _MM_ARG1.._MM_ARG9
define(`_MM_SETARGS', `pushdef(`_MM_ARG1', `$1')pushdef(`_MM_ARG2', `$2')pushdef(`_MM_ARG3', `$3')pushdef(`_MM_ARG4', `$4')pushdef(`_MM_ARG5', `$5')pushdef(`_MM_ARG6', `$6')pushdef(`_MM_ARG7', `$7')pushdef(`_MM_ARG8', `$8')pushdef(`_MM_ARG9', `$9')')
define(`_MM_DROPARGS', `popdef(`_MM_ARG1')popdef(`_MM_ARG2')popdef(`_MM_ARG3')popdef(`_MM_ARG4')popdef(`_MM_ARG5')popdef(`_MM_ARG6')popdef(`_MM_ARG7')popdef(`_MM_ARG8')popdef(`_MM_ARG9')')

dnl _MM_PART(kind, folder, list, name, args...): read folder/name.m4 with
dnl its arguments, in diversion -1, errors pointing at the calling line
define(`_MM_PART', `pushdef(`_MM_WHERE', __file__:__line__)_MM_KNOWN(`$1', `$4', defn(`$3'))_MM_PUSHDIV(-1)_MM_SETARGS(shift(shift(shift(shift($@)))))include(_MM_DIR`$2/$4.m4')_MM_DROPARGS`'_MM_POPDIV`'popdef(`_MM_WHERE')')

dnl _MM_UUCP_OK(text[, else]): text unless FEATURE(nouucp);
dnl _MM_ACCESS(text[, else]): text with FEATURE(access_db)
define(`_MM_UUCP_OK', `ifdef(`_MM_NO_UUCP', `$2', `$1')')
define(`_MM_ACCESS', `ifdef(`_MM_FEAT_access_db', `$1', `$2')')
dnl _MM_KMAP(name, file, extra flags): the K line of a FEATURE map; its
dnl first argument, if any, is the whole map spec (`hash -o /etc/x')
define(`_MM_KMAP', `ifelse(defn(`_MM_ARG1'), `LDAP', `_MM_FAIL(`LDAP maps are not supported by monomail')')divert(6)K$1 ifelse(defn(`_MM_ARG1'), `', `DATABASE_MAP_TYPE $3`'MAIL_SETTINGS_DIR`'$2', `_MM_ARG1')
divert(-1)')
define(`_MM_LOWER', `translit(`$1', `ABCDEFGHIJKLMNOPQRSTUVWXYZ', `abcdefghijklmnopqrstuvwxyz')')
dnl _MM_NEEDS(feature): stop unless that FEATURE came earlier
define(`_MM_NEEDS', `ifdef(`_MM_FEAT_$1', `', `_MM_FAIL(`this FEATURE needs FEATURE($1) before it')')')
dnl _MM_BEFORE_LOCAL: for features that change the local mailer
define(`_MM_BEFORE_LOCAL', `ifdef(`_MM_MAILER_local', `_MM_FAIL(`this FEATURE must come before MAILER(local)')')')

dnl -------------------------------------------------------------------------
dnl the main vocabulary
define(`VERSIONID', ``# version: $1'')
define(`OSTYPE', `ifdef(`_MM_OSTYPE', `_MM_WARN(`second OSTYPE($1) ignored')',
	`define(`_MM_OSTYPE', `$1')_MM_PART(`OSTYPE', `ostype', `_MM_OSTYPES', $@)')')
define(`DOMAIN', `ifelse(substr(`$1', 0, 1), `/', `_MM_PUSHDIV(-1)include(`$1')_MM_POPDIV',
	`_MM_PART(`DOMAIN', `domain', `_MM_DOMAINS', $@)')')
define(`FEATURE', `ifdef(`_MM_MAILER_SEEN', `_MM_WARN(`FEATURE($1) should come before the first MAILER()')')define(`_MM_FEAT_$1', `$2')_MM_PART(`FEATURE', `feature', `_MM_FEATURES', $@)')
define(`HACK', `_MM_PART(`HACK', `hack', `_MM_HACKS', $@)')
define(`MAILER', `ifdef(`_MM_MAILER_$1',
	`_MM_WARN(`MAILER($1) is already included')',
	`define(`_MM_MAILER_SEEN', `1')define(`_MM_MAILER_$1', `1')_MM_PART(`MAILER', `mailer', `_MM_MAILERS', $@)')')

dnl where the admin's own lines go (see the table at the top)
define(`LOCAL_NET_CONFIG', `define(`_MM_NET_CONFIG', `1')divert(1)')
define(`LOCAL_RULE_3', `divert(2)')
define(`LOCAL_RULE_0', `divert(3)')
define(`LOCAL_UUCP', `divert(4)')
define(`LOCAL_CONFIG', `divert(6)')
define(`MAILER_DEFINITIONS', `divert(7)')
define(`LOCAL_DNSBL', `divert(8)')
define(`LOCAL_RULESETS', `divert(9)')
define(`LOCAL_RULE_1', `divert(10)')
define(`LOCAL_RULE_2', `divert(11)')
dnl hooks of the TLS/feature rulesets: the heading, then the admin's rules
define(`_MM_HOOKSET', `define(`_MM_HOOK_$1', `1')ifdef(`_MM_MAILER_SEEN', `',
	`_MM_WARN(`MAILER() should come before $2')')divert(9)SLocal_$1`'')
define(`LOCAL_SRV_FEATURES', `_MM_HOOKSET(`srv_features', `LOCAL_SRV_FEATURES')')
define(`LOCAL_CLT_FEATURES', `_MM_HOOKSET(`clt_features', `LOCAL_CLT_FEATURES')')
define(`LOCAL_TRY_TLS', `_MM_HOOKSET(`try_tls', `LOCAL_TRY_TLS')')
define(`LOCAL_TLS_RCPT', `_MM_HOOKSET(`tls_rcpt', `LOCAL_TLS_RCPT')')
define(`LOCAL_TLS_CLIENT', `_MM_HOOKSET(`tls_client', `LOCAL_TLS_CLIENT')')
define(`LOCAL_TLS_SERVER', `_MM_HOOKSET(`tls_server', `LOCAL_TLS_SERVER')')

dnl class lines: C{X}words or F{X}file, collected in diversion 5
define(`_MM_CLASS', `_MM_PUSHDIV(5)$1{$2}$3
_MM_POPDIV`'dnl`'')
define(`EXPOSED_USER', `_MM_CLASS(`C', `E', `$1')')
define(`EXPOSED_USER_FILE', `_MM_CLASS(`F', `E', `$1')')
define(`LOCAL_USER', `_MM_CLASS(`C', `L', `$1')')
define(`LOCAL_USER_FILE', `_MM_CLASS(`F', `L', `$1')')
define(`LOCAL_DOMAIN', `_MM_CLASS(`C', `w', `$1')')
define(`MASQUERADE_DOMAIN', `_MM_CLASS(`C', `M', `$1')')
define(`MASQUERADE_DOMAIN_FILE', `_MM_CLASS(`F', `M', `$1')')
define(`MASQUERADE_EXCEPTION', `_MM_CLASS(`C', `N', `$1')')
define(`MASQUERADE_EXCEPTION_FILE', `_MM_CLASS(`F', `N', `$1')')
define(`CANONIFY_DOMAIN', `_MM_CLASS(`C', `Canonify', `$1')')
define(`CANONIFY_DOMAIN_FILE', `_MM_CLASS(`F', `Canonify', `$1')')
define(`GENERICS_DOMAIN', `_MM_CLASS(`C', `G', `$1')')
define(`GENERICS_DOMAIN_FILE', `_MM_CLASS(`F', `G', `$1')')
define(`VIRTUSER_DOMAIN', `define(`_MM_VIRTHOSTS', `1')_MM_CLASS(`C', `VirtHost', `$1')')
define(`VIRTUSER_DOMAIN_FILE', `define(`_MM_VIRTHOSTS', `1')_MM_CLASS(`F', `VirtHost', `$1')')
define(`RELAY_DOMAIN', `_MM_CLASS(`C', `R', `$1')')
define(`RELAY_DOMAIN_FILE', `_MM_CLASS(`F', `R', `$1')')
define(`TRUST_AUTH_MECH', `define(`_MM_AUTH_RELAY', `1')_MM_CLASS(`C', `TrustAuthMech', `$1')')
define(`MASQUERADE_AS', `define(`_MM_MASQ_AS', `$1')')

dnl listening and connecting
define(`_MM_DPO', `')
define(`DAEMON_OPTIONS', `define(`_MM_DPO', defn(`_MM_DPO')`O DaemonPortOptions='`$1'
)')
define(`_MM_CPO', `')
define(`CLIENT_OPTIONS', `define(`_MM_CPO', defn(`_MM_CPO')`O ClientPortOptions='`$1'
)')

dnl MODIFY_MAILER_FLAGS(`LOCAL', `+xy' | `-xy' | `xy')
define(`MODIFY_MAILER_FLAGS', `ifelse(
	substr(`$2', 0, 1), `+', `define(`_MM_MF_ADD_$1', defn(`_MM_MF_ADD_$1')substr(`$2', 1))',
	substr(`$2', 0, 1), `-', `define(`_MM_MF_DEL_$1', defn(`_MM_MF_DEL_$1')substr(`$2', 1))',
	`define(`_MM_MF_SET_$1', `$2')')')
dnl _MM_FLAGS(`LOCAL', default flags): what a mailer file puts after F=
define(`_MM_FLAGS', `ifdef(`_MM_MF_SET_$1', `defn(`_MM_MF_SET_$1')',
	`translit(`$2', defn(`_MM_MF_DEL_$1')defn(`_MM_MF_ADD_$1'))`'translit(defn(`_MM_MF_ADD_$1'), defn(`_MM_MF_DEL_$1'))')')

dnl helpers some .mc files and hacks use
define(`DOL', ``$'$1')
define(`CONCAT', `$1$2$3$4$5$6$7')
define(`UUCPSMTP', `R DOL(*) < @ $1 .UUCP > DOL(*)	DOL(1) < @ $2 > DOL(2)')
define(`CF_LEVEL', `10')

dnl what monomail does not do: say so instead of writing half a config
define(`_MM_UNSUPPORTED', `define(`$1', `_MM_FAIL(`$1 is not supported by monomail: $2')')')
_MM_UNSUPPORTED(`MAIL_FILTER', `monomail has no milter interface; remove the filter or run it as a content filter')
_MM_UNSUPPORTED(`INPUT_MAIL_FILTER', `monomail has no milter interface; remove the filter or run it as a content filter')
_MM_UNSUPPORTED(`QUEUE_GROUP', `monomail has a single queue')
_MM_UNSUPPORTED(`SITECONFIG', `list UUCP neighbours with LOCAL_UUCP rules or a mailertable instead')
_MM_UNSUPPORTED(`LDAPROUTE_DOMAIN', `there is no LDAP routing')
_MM_UNSUPPORTED(`LDAPROUTE_DOMAIN_FILE', `there is no LDAP routing')
_MM_UNSUPPORTED(`LDAPROUTE_EQUIVALENT', `there is no LDAP routing')
_MM_UNSUPPORTED(`LDAPROUTE_EQUIVALENT_FILE', `there is no LDAP routing')

dnl -------------------------------------------------------------------------
dnl defaults (an .mc may define or undefine any of them)
define(`_MM_DEFAULT', `ifdef(`$1', `', `define(`$1', `$2')')')
_MM_DEFAULT(`MAIL_SETTINGS_DIR', `/etc/mail/')
_MM_DEFAULT(`DATABASE_MAP_TYPE', `hash')
_MM_DEFAULT(`ALIAS_FILE', `MAIL_SETTINGS_DIR`'aliases')
_MM_DEFAULT(`confCW_FILE', `MAIL_SETTINGS_DIR`'local-host-names')
_MM_DEFAULT(`confCR_FILE', `-o MAIL_SETTINGS_DIR`'relay-domains')
_MM_DEFAULT(`confMAILER_NAME', ``MAILER-DAEMON'')
_MM_DEFAULT(`confFROM_LINE', `From $g $d')
_MM_DEFAULT(`confOPERATORS', `.:%@!^/[]+')
_MM_DEFAULT(`confSMTP_LOGIN_MSG', `$j monomail $v/$Z; $b')
_MM_DEFAULT(`confSEVEN_BIT_INPUT', `False')
_MM_DEFAULT(`confALIAS_WAIT', `10')
_MM_DEFAULT(`confMIN_FREE_BLOCKS', `100')
_MM_DEFAULT(`confBLANK_SUB', `.')
_MM_DEFAULT(`confCON_EXPENSIVE', `False')
_MM_DEFAULT(`confDELIVERY_MODE', `background')
_MM_DEFAULT(`confTEMP_FILE_MODE', `0600')
_MM_DEFAULT(`confMCI_CACHE_SIZE', `2')
_MM_DEFAULT(`confMCI_CACHE_TIMEOUT', `5m')
_MM_DEFAULT(`confUSE_ERRORS_TO', `False')
_MM_DEFAULT(`confLOG_LEVEL', `9')
_MM_DEFAULT(`confCHECK_ALIASES', `False')
_MM_DEFAULT(`confOLD_STYLE_HEADERS', `True')
_MM_DEFAULT(`confPRIVACY_FLAGS', `authwarnings')
_MM_DEFAULT(`confSAFE_QUEUE', `True')
_MM_DEFAULT(`confTO_QUEUERETURN', `5d')
_MM_DEFAULT(`confTO_QUEUEWARN', `4h')
_MM_DEFAULT(`confTIME_ZONE', `USE_SYSTEM')
_MM_DEFAULT(`confMIME_FORMAT_ERRORS', `True')
_MM_DEFAULT(`confFORWARD_PATH', `$z/.forward.$w:$z/.forward')
_MM_DEFAULT(`confMILTER_MACROS_CONNECT', ``j, _, {daemon_name}, {if_name}, {if_addr}'')
_MM_DEFAULT(`confMILTER_MACROS_HELO', ``{tls_version}, {cipher}, {cipher_bits}, {cert_subject}, {cert_issuer}'')
_MM_DEFAULT(`confMILTER_MACROS_ENVFROM', ``i, {auth_type}, {auth_authen}, {auth_ssf}, {auth_author}, {mail_mailer}, {mail_host}, {mail_addr}'')
_MM_DEFAULT(`confMILTER_MACROS_ENVRCPT', ``{rcpt_mailer}, {rcpt_host}, {rcpt_addr}'')
_MM_DEFAULT(`confMILTER_MACROS_EOM', `{msg_id}')
dnl the Received: header, in the layout log analysers know
_MM_DEFAULT(`confRECEIVED_HEADER', `$?sfrom $s $.$?_($?s$|from $.$_)
	$.$?{auth_type}(authenticated$?{auth_ssf} bits=${auth_ssf}$.)
	$.by $j ($v/$Z)$?r with $r$. id $i$?{tls_version}
	(version=${tls_version} cipher=${cipher} bits=${cipher_bits} verify=${verify})$.$?u
	for $u; $|;
	$.$b')

dnl once the .mc is read, write the configuration
m4wrap(`include(_MM_DIR`proto.m4')')
