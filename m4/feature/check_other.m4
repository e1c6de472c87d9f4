dnl  FEATURE(`check_other'[, `regex']): check_other (any SMTP command the server
dnl  would refuse) drops the connection with 421 when the command matches the
dnl  regex (default: printable text then a colon, as a stray header line).
define(`_MM_BADCMD', ifelse(defn(`_MM_ARG1'), `', `^[[:print:]]+ *:', `defn(`_MM_ARG1')'))
divert(6)Kbadcmd regex -m -a<BADCMD> defn(`_MM_BADCMD')
divert(9)dnl
Scheck_other
R$* $| 2		$@ ok				the server accepts it
R$+ $| 5		$: $(badcmd $1 $)
R$*<BADCMD>		$#error $@ 4.7.0 $: 421 bad command
divert(-1)
