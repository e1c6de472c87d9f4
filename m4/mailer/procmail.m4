dnl  MAILER(`procmail'): hand a message to procmail (for mailertable
dnl  entries like procmail:/etc/procmailrcs/list).
ifdef(`PROCMAIL_MAILER_PATH', `', `define(`PROCMAIL_MAILER_PATH', ifdef(`PROCMAIL_PATH', `PROCMAIL_PATH', `/usr/bin/procmail'))')
ifdef(`PROCMAIL_MAILER_FLAGS', `', `define(`PROCMAIL_MAILER_FLAGS', `SPhnu9')')
ifdef(`PROCMAIL_MAILER_ARGS', `', `define(`PROCMAIL_MAILER_ARGS', `procmail -Y -m $h $f $u')')
divert(7)dnl
Mprocmail,	P=PROCMAIL_MAILER_PATH, F=_MM_FLAGS(`PROCMAIL', `DFM'defn(`PROCMAIL_MAILER_FLAGS')), S=EnvFromSMTP/HdrFromSMTP, R=EnvToSMTP/HdrFromSMTP,
		ifdef(`PROCMAIL_MAILER_MAX', `M=PROCMAIL_MAILER_MAX, ')T=DNS/RFC822/X-Unix,
		A=PROCMAIL_MAILER_ARGS
divert(-1)
