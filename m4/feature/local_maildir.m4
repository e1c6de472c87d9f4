dnl  FEATURE(`local_maildir'[, `folder']) (monomail only): local delivery in
dnl  process to Maildir folders, ~user/Maildir, or folder/user when given.
_MM_BEFORE_LOCAL
define(`LOCAL_MAILER_ARGS', ifelse(defn(`_MM_ARG1'), `', ``maildir $u'', ``maildir -d '_MM_ARG1` $u''))
