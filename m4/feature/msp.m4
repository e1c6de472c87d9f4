dnl  FEATURE(`msp'[, `MTA host'[, `MSA']]): a mail submission program's cf (as
dnl  sendmail's submit.mc): no daemon of its own but one on 127.0.0.1, every
dnl  address relayed to the MTA host (default [localhost]; port 587 with MSA),
dnl  its own queue /var/spool/clientmqueue (MSP_QUEUE_DIR), run as smmsp.
undefine(`ALIAS_FILE')
define(`confDELIVERY_MODE', `i')
define(`confUSE_MSP', `True')
define(`confFORWARD_PATH', `')
define(`confPRIVACY_FLAGS', `goaway,noetrn,restrictqrun')
define(`confDONT_PROBE_INTERFACES', `True')
ifdef(`confRUN_AS_USER', `', `define(`confRUN_AS_USER', `smmsp')')
ifdef(`confTRUSTED_USER', `', `define(`confTRUSTED_USER',
	ifelse(index(defn(`confRUN_AS_USER'), `:'), `-1', `defn(`confRUN_AS_USER')',
		`substr(defn(`confRUN_AS_USER'), 0, index(defn(`confRUN_AS_USER'), `:'))'))')
define(`QUEUE_DIR', ifdef(`MSP_QUEUE_DIR', `defn(`MSP_QUEUE_DIR')', `/var/spool/clientmqueue'))
ifdef(`confPID_FILE', `', `define(`confPID_FILE', defn(`QUEUE_DIR')`/sm-client.pid')')
define(`confQUEUE_FILE_MODE', `0660')
define(`STATUS_FILE', ifdef(`STATUS_FILE', `ifelse(index(defn(`STATUS_FILE'), `sendmail.st'), `-1', `defn(`STATUS_FILE')',
	`substr(defn(`STATUS_FILE'), 0, index(defn(`STATUS_FILE'), `sendmail.st'))`sm-client.st'')',
	`defn(`QUEUE_DIR')`/sm-client.st''))
define(`_MM_MTA_HOST', ifelse(defn(`_MM_ARG1'), `', `[localhost]', `defn(`_MM_ARG1')'))
ifelse(defn(`_MM_ARG2'), `MSA', `define(`RELAY_MAILER_ARGS', `TCP $h 587')')
FEATURE(`no_default_msa')
ifelse(defn(`_MM_DPO'), `', `DAEMON_OPTIONS(`Name=NoMTA, Addr=127.0.0.1, M=E')')
dnl  local and prog deliver to the MTA host over SMTP, with only these flags
define(`_MM_LOCAL_BASE_FLAGS', `')
define(`_MM_SHELL_BASE_FLAGS', `')
define(`LOCAL_MAILER_PATH', `[IPC]')
define(`LOCAL_MAILER_FLAGS', `lmDFMuXkw5')
define(`LOCAL_MAILER_ARGS', `TCP $h')
define(`LOCAL_MAILER_DSN_DIAGNOSTIC_CODE', `SMTP')
define(`LOCAL_SHELL_PATH', `[IPC]')
define(`LOCAL_SHELL_FLAGS', `lmDFMuXk5')
define(`LOCAL_SHELL_ARGS', `TCP $h')
MODIFY_MAILER_FLAGS(`SMTP', `+k5')
MODIFY_MAILER_FLAGS(`ESMTP', `+k5')
MODIFY_MAILER_FLAGS(`DSMTP', `+k5')
MODIFY_MAILER_FLAGS(`SMTP8', `+k5')
MODIFY_MAILER_FLAGS(`RELAY', `+k')
MAILER(`local')
MAILER(`smtp')
divert(6)dnl
D{MTAHost}_MM_MTA_HOST
divert(9)dnl
SLocal_localaddr
R$+			$: $>ParseRecipient $1
R$* < @ $+ > $*		$#relay $@ ${MTAHost} $: $1 < @ $2 > $3	remote: to the MTA
ifdef(`_USE_DECNET_SYNTAX_', `R$+ :: $+		$#relay $@ ${MTAHost} $: $1 :: $2	DECnet: to the MTA
')dnl
R$*			$#relay $@ ${MTAHost} $: $1 < @ ifdef(`_MM_MASQ_AS', ifdef(`_MM_FEAT_masquerade_envelope', `$M', `$j'), `$j') >	local: qualified, to the MTA
divert(-1)
