dnl  FEATURE(`greet_pause'[, `milliseconds']): wait before the greeting;
dnl  GreetPause: entries of the access map override the default.
ifelse(defn(`_MM_ARG1'), `', `_MM_NEEDS(`access_db')')
