dnl  OSTYPE(`gnu'): where helper programs live on this system.  Local mail
dnl  is still delivered by monomail itself unless the .mc says otherwise.
ifdef(`confEBINDIR', `', `define(`confEBINDIR', `/usr/sbin')')
ifdef(`PROCMAIL_MAILER_PATH', `', `define(`PROCMAIL_MAILER_PATH', `/usr/bin/procmail')')
