dnl  MAILER(`local'): the local and prog mailers, with their rulesets
dnl  EnvFromL, EnvToL, HdrFromL, HdrToL and AddDomain.
dnl
dnl  The default local mailer is monomail itself: P=[monomail] delivers in
dnl  process.  The first word of A= chooses the mailbox format, "mbox"
dnl  (the mail spool, one file a user) or "maildir" (~user/Maildir, or
dnl  DIR/user with "-d DIR"); the users follow.  FEATURE(`local_maildir')
dnl  picks Maildir.  Any other P= (LOCAL_MAILER_PATH, local_procmail,
dnl  local_lmtp) is an external program run with its A= words.
ifdef(`LOCAL_MAILER_PATH', `', `define(`LOCAL_MAILER_PATH', `[monomail]')')
ifdef(`LOCAL_MAILER_ARGS', `', `define(`LOCAL_MAILER_ARGS', `mbox $u')')
ifdef(`LOCAL_MAILER_FLAGS', `', `define(`LOCAL_MAILER_FLAGS',
	ifelse(defn(`LOCAL_MAILER_PATH'), `[monomail]', `Pmnz9', `Prmn9'))')
ifdef(`LOCAL_MAILER_DSN_DIAGNOSTIC_CODE', `', `define(`LOCAL_MAILER_DSN_DIAGNOSTIC_CODE', `X-Unix')')
ifdef(`_MM_LOCAL_BASE_FLAGS', `', `define(`_MM_LOCAL_BASE_FLAGS', `lsDFMAw5:/|@q')')
ifdef(`LOCAL_SHELL_PATH', `', `define(`LOCAL_SHELL_PATH', `/bin/sh')')
ifdef(`LOCAL_SHELL_ARGS', `', `define(`LOCAL_SHELL_ARGS', `sh -c $u')')
ifdef(`LOCAL_SHELL_FLAGS', `', `define(`LOCAL_SHELL_FLAGS', `eu9')')
ifdef(`LOCAL_SHELL_DIR', `', `define(`LOCAL_SHELL_DIR', `$z:/')')
ifdef(`_MM_SHELL_BASE_FLAGS', `', `define(`_MM_SHELL_BASE_FLAGS', `lsDFMoq')')
ifdef(`_MM_FEAT_local_no_masquerade', `', `define(`_MM_LOCAL_MASQ', `1')')
define(`_MM_OPTEQ', `ifdef(`$1', `$2'$1`, ')')
divert(7)dnl

######################################################################
#  local and prog mailers
######################################################################
SEnvFromL
R<@>			$n			bounces come from the daemon name
R@ <@ $*>		$n
R$+			$: $>AddDomain $1
ifdef(`_MM_LOCAL_MASQ', `R$*			$: $>MasqEnv $1
')dnl

SEnvToL
R$+ < @ $* >		$: $1			the user part only
ifdef(`confUSERDB_SPEC', `', `R$+ + $*		$: < $&{addr_type} > $1 + $2
R<e s> $+ + $*		$: $1			no +detail for senders
R< $* > $+		$: $2
')dnl

SHdrFromL
R<@>			$n
R@ <@ $*>		$n
R$+			$: $>AddDomain $1
ifdef(`_MM_LOCAL_MASQ', `R$*			$: $>MasqHdr $1
')dnl

SHdrToL
R$+			$: $>AddDomain $1
ifdef(`_MM_FEAT_allmasquerade', `ifdef(`_MM_LOCAL_MASQ', `R$*			$: $>MasqHdr $1
')', `R$* < @ *LOCAL* > $*	$: $1 < @ $j . > $2
')dnl

SAddDomain
ifdef(`_MM_FEAT_always_add_domain', `R$* < @ $* > $*		$@ $1 < @ $2 > $3	qualified already
ifelse(defn(`_MM_FEAT_always_add_domain'), `', `R$+			$@ $1 < @ *LOCAL* >
', `R$+			$@ $1 < @ _MM_FEAT_always_add_domain >
')')dnl

Mlocal,		P=LOCAL_MAILER_PATH, F=_MM_FLAGS(`LOCAL', defn(`_MM_LOCAL_BASE_FLAGS')defn(`LOCAL_MAILER_FLAGS')), ifdef(`_MM_FEAT_local_lmtp', `S=EnvFromSMTP/HdrFromL', `S=EnvFromL/HdrFromL'), R=EnvToL/HdrToL,_MM_OPTEQ(`LOCAL_MAILER_EOL', ` E=')
		_MM_OPTEQ(`LOCAL_MAILER_MAX', `M=')_MM_OPTEQ(`LOCAL_MAILER_MAXMSGS', `m=')_MM_OPTEQ(`LOCAL_MAILER_MAXRCPTS', `r=')_MM_OPTEQ(`LOCAL_MAILER_CHARSET', `C=')T=DNS/RFC822/LOCAL_MAILER_DSN_DIAGNOSTIC_CODE,
		A=LOCAL_MAILER_ARGS
Mprog,		P=LOCAL_SHELL_PATH, F=_MM_FLAGS(`SHELL', defn(`_MM_SHELL_BASE_FLAGS')defn(`LOCAL_SHELL_FLAGS')), S=EnvFromL/HdrFromL, R=EnvToL/HdrToL, D=LOCAL_SHELL_DIR,
		_MM_OPTEQ(`LOCAL_MAILER_MAX', `M=')T=X-Unix/X-Unix/X-Unix,
		A=LOCAL_SHELL_ARGS
divert(-1)
