dnl  MAILER(`uucp'): uucp (= uucp-old), suucp (= uucp-new) and, after
dnl  MAILER(`smtp'), uucp-dom and uucp-uudom; rulesets FromU, EnvToU,
dnl  HdrToU, EnvFromUD, EnvFromUUD, and routing rules for the UUCP
dnl  neighbours in classes U (uucp-old), Y (uucp-new) and Z (uucp-uudom).
ifdef(`UUCP_MAILER_PATH', `', `define(`UUCP_MAILER_PATH', `/usr/bin/uux')')
ifdef(`UUCP_MAILER_ARGS', `', `define(`UUCP_MAILER_ARGS', `uux - -r -a$g -gC $h!rmail ($u)')')
ifdef(`UUCP_MAILER_FLAGS', `', `define(`UUCP_MAILER_FLAGS', `')')
ifdef(`UUCP_MAILER_MAX', `', `define(`UUCP_MAILER_MAX', ifdef(`UUCP_MAX_SIZE', `UUCP_MAX_SIZE', `100000'))')
dnl  _MM_UUCPM(name, extra flags, S=, R=): one M line
define(`_MM_UUCPM', `M$1,	P=UUCP_MAILER_PATH, F=_MM_FLAGS(`UUCP', `$2'defn(`UUCP_MAILER_FLAGS')), S=$3, R=$4,
		M=UUCP_MAILER_MAX, ifdef(`UUCP_MAILER_CHARSET', `C=UUCP_MAILER_CHARSET, ')T=X-UUCP/X-UUCP/X-Unix,
		A=UUCP_MAILER_ARGS
')
define(`_MM_UUCP_TO', ifdef(`_MM_FEAT_allmasquerade', `EnvToSMTP/HdrFromSMTP', `EnvToSMTP'))
divert(4)dnl
R$* < @ $=Z . UUCP. > $*	$#uucp-uudom $@ $2 $: $1 < @ $2 .UUCP. > $3
R$* < @ $=Y . UUCP. > $*	$#uucp-new $@ $2 $: $1 < @ $2 .UUCP. > $3
R$* < @ $=U . UUCP. > $*	$#uucp-old $@ $2 $: $1 < @ $2 .UUCP. > $3
divert(7)dnl

######################################################################
#  UUCP mailers
######################################################################
SFromU
R<@>				$n			bounces
R:; <@>				$@			list:; goes away
R$* < @ $* . > $*		$1 < @ $2 > $3
R$* < @ $=w >			$1			our own name goes
R<@ $- . UUCP > : $+		$1 ! $2			to bang form
R<@ $+ > : $+			$1 ! $2
R$* < @ $- . UUCP >		$2 ! $1
R$* < @ $+ >			$2 ! $1
R$&h ! $+ ! $+			$@ $1 ! $2		drop the next hop
R$&h ! $+			$@ $&h ! $1
R$+				$: $U ! $1		prefix our UUCP name
R! $+				$: $k ! $1

SEnvToU
R:; <@>				$@
R$* < @ $* . > $*		$1 < @ $2 > $3
R$* < @ $=w >			$1
R<@ $- . UUCP > : $+		$1 ! $2
R<@ $+ > : $+			$1 ! $2
R$* < @ $- . UUCP >		$2 ! $1
R$* < @ $+ >			$2 ! $1

SHdrToU
R:; <@>				$@
R$* < @ $* . > $*		$1 < @ $2 > $3
R$* < @ $=w >			$1
R<@ $- . UUCP > : $+		$1 ! $2
R<@ $+ > : $+			$1 ! $2
R$* < @ $- . UUCP >		$2 ! $1
R$* < @ $+ >			$2 ! $1
R$&h ! $+ ! $+			$@ $1 ! $2
R$&h ! $+			$@ $&h ! $1
R$+				$: $U ! $1
R! $+				$: $k ! $1
ifdef(`_MM_MAILER_smtp', `
SEnvFromUD
R<@>				$n
R$*				$@ $>EnvFromSMTP $1

SEnvFromUUD
R<@>				$n
R$*				$: $>EnvFromSMTP $1
R$* < @ $* . > $*		$1 < @ $2 > $3
R<@ $- . UUCP > : $+		$@ $1 ! $2
R<@ $+ > : $+			$@ $1 ! $2
R$* < @ $- . UUCP >		$@ $2 ! $1
R$* < @ $+ >			$@ $2 ! $1
', `_MM_WARN(`MAILER(smtp) must come before MAILER(uucp) for the uucp-dom and uucp-uudom mailers')')dnl

_MM_UUCPM(`uucp', `DFMhuUd', `FromU', `EnvToU/HdrToU')dnl
_MM_UUCPM(`uucp-old', `DFMhuUd', `FromU', `EnvToU/HdrToU')dnl
_MM_UUCPM(`suucp', `mDFMhuUd', `FromU', `EnvToU/HdrToU')dnl
_MM_UUCPM(`uucp-new', `mDFMhuUd', `FromU', `EnvToU/HdrToU')dnl
ifdef(`_MM_MAILER_smtp', `_MM_UUCPM(`uucp-dom', `mDFMhud', `EnvFromUD/HdrFromSMTP', _MM_UUCP_TO)dnl
_MM_UUCPM(`uucp-uudom', `mDFMhud', `EnvFromUUD/HdrFromSMTP', _MM_UUCP_TO)')dnl
divert(-1)
