dnl  FEATURE(`badmx'[, `regex of bad MX addresses']): check_mail refuses senders
dnl  whose domain has an MX that is a bare address or points at a private or
dnl  loopback address (default ^(127\.|10\.|0\.0\.0\.0)).
divert(6)dnl
Kmxlist bestmx -z: -T<TEMP>
Kbadmx regex -a<BADMX> ^(([0-9]{1,3}\.){3}[0-9]){0,1}\.$
KdnsA dns -R A -a. -T<TEMP>
KBadMXIP regex -a<BADMXIP> ifelse(defn(`_MM_ARG1'), `', `^(127\.|10\.|0\.0\.0\.0)', `_MM_ARG1')
divert(-1)
