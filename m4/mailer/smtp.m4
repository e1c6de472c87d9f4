dnl  MAILER(`smtp'): the smtp, esmtp, smtp8, dsmtp and relay mailers, with
dnl  their rulesets MasqSMTP, PseudoToReal, EnvFromSMTP, EnvToSMTP,
dnl  HdrFromSMTP and MasqRelay.
ifdef(`_MM_SMTP_BASE_FLAGS', `', `define(`_MM_SMTP_BASE_FLAGS', `mDFMuX')')
ifdef(`SMTP_MAILER_FLAGS', `', `define(`SMTP_MAILER_FLAGS', `')')
ifdef(`RELAY_MAILER_FLAGS', `', `define(`RELAY_MAILER_FLAGS', defn(`SMTP_MAILER_FLAGS'))')
ifdef(`SMTP_MAILER_LL', `', `define(`SMTP_MAILER_LL', `990')')
ifdef(`RELAY_MAILER_LL', `', `define(`RELAY_MAILER_LL', `2040')')
ifdef(`SMTP_MAILER_ARGS', `', `define(`SMTP_MAILER_ARGS', `TCP $h')')
ifdef(`ESMTP_MAILER_ARGS', `', `define(`ESMTP_MAILER_ARGS', `TCP $h')')
ifdef(`SMTP8_MAILER_ARGS', `', `define(`SMTP8_MAILER_ARGS', `TCP $h')')
ifdef(`DSMTP_MAILER_ARGS', `', `define(`DSMTP_MAILER_ARGS', `TCP $h')')
ifdef(`RELAY_MAILER_ARGS', `', `define(`RELAY_MAILER_ARGS', `TCP $h')')
ifdef(`_MM_OPTEQ', `', `define(`_MM_OPTEQ', `ifdef(`$1', `$2'$1`, ')')')
dnl  _MM_SMTPM(name, flag macro, extra flags, args macro): one M line
define(`_MM_SMTPM', `M$1,		P=[IPC], F=_MM_FLAGS(`$2', defn(`_MM_SMTP_BASE_FLAGS')`$3'defn(`SMTP_MAILER_FLAGS')), S=EnvFromSMTP/HdrFromSMTP, R=EnvToSMTP`'ifdef(`_MM_FEAT_allmasquerade', `/HdrFromSMTP'), E=\r\n, L=SMTP_MAILER_LL,
		_MM_OPTEQ(`SMTP_MAILER_MAX', `M=')_MM_OPTEQ(`SMTP_MAILER_MAXMSGS', `m=')_MM_OPTEQ(`SMTP_MAILER_MAXRCPTS', `r=')_MM_OPTEQ(`SMTP_MAILER_CHARSET', `C=')T=DNS/RFC822/SMTP,
		A=$4
')
divert(7)dnl

######################################################################
#  SMTP mailers
######################################################################
SMasqSMTP
R$* < @ $* > $*		$@ $1 < @ $2 > $3		qualified already
R$+			$@ $1 < @ *LOCAL* >		qualify with our name

SPseudoToReal
R< @ $+ > $*		$@ < @ $1 > $2			a route stays as it is
_MM_UUCP_OK(`R$+ < @ $+ .UUCP. >	$: < $2 ! > $1			UUCP names:
R$+ < @ $* > $*		$@ $1 < @ $2 > $3
R< $&h ! > $- ! $+	$@ $2 < @ $1 .UUCP. >
R< $&h ! > $-.$+ ! $+	$@ $3 < @ $1.$2 >
R< $&h ! > $+		$@ $1 < @ $&h .UUCP. >
R< $+ ! > $+		$: $1 ! $2 < @ $Y >		... through the UUCP relay
R$+ < @ $~[ $* : $+ >	$@ $1 < @ $4 >
R$+ < @ >		$: $1 < @ *LOCAL* >
')dnl

SEnvFromSMTP
R$+			$: $>PseudoToReal $1
R$* :; <@>		$@
R$*			$: $>MasqSMTP $1
R$+			$: $>MasqEnv $1

SEnvToSMTP
R$+			$: $>PseudoToReal $1
R$+			$: $>MasqSMTP $1
R$* < @ *LOCAL* > $*	$: $1 < @ $j . > $2

SHdrFromSMTP
R$+			$: $>PseudoToReal $1
R:; <@>			$@
R$* <@> $*		$@ $1 <@> $2
R< @ $* > $*		$@ < @ $1 > $2
R$*			$: $>MasqSMTP $1
R$+			$: $>MasqHdr $1

SMasqRelay
R$+			$: $>MasqSMTP $1
R$+			$: $>MasqHdr $1

_MM_SMTPM(`smtp', `SMTP', `', `SMTP_MAILER_ARGS')dnl
_MM_SMTPM(`esmtp', `ESMTP', `a', `ESMTP_MAILER_ARGS')dnl
_MM_SMTPM(`smtp8', `SMTP8', `8', `SMTP8_MAILER_ARGS')dnl
_MM_SMTPM(`dsmtp', `DSMTP', `a%', `DSMTP_MAILER_ARGS')dnl
Mrelay,		P=[IPC], F=_MM_FLAGS(`RELAY', defn(`_MM_SMTP_BASE_FLAGS')`a8'defn(`RELAY_MAILER_FLAGS')), S=EnvFromSMTP/HdrFromSMTP, R=MasqSMTP`'ifdef(`_MM_FEAT_allmasquerade', `/MasqRelay'), E=\r\n, L=RELAY_MAILER_LL,
		_MM_OPTEQ(`RELAY_MAILER_CHARSET', `C=')_MM_OPTEQ(`RELAY_MAILER_MAXMSGS', `m=')_MM_OPTEQ(`SMTP_MAILER_MAXRCPTS', `r=')T=DNS/RFC822/SMTP,
		A=RELAY_MAILER_ARGS
divert(-1)
