dnl  OSTYPE(`aix5'): where helper programs live on this system.  Local mail
dnl  is still delivered by monomail itself unless the .mc says otherwise.
ifdef(`confEBINDIR', `', `define(`confEBINDIR', `/usr/lib')')
ifdef(`PROCMAIL_MAILER_PATH', `', `define(`PROCMAIL_MAILER_PATH', `/usr/local/bin/procmail')')
