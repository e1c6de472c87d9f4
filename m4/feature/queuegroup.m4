dnl  FEATURE(`queuegroup'[, `default group']): the queuegroup ruleset picks a
dnl  recipient's queue group from qgrp: entries of the access map (address,
dnl  then domain and its parents), else the default group, else none.
_MM_NEEDS(`access_db')
divert(9)dnl
Squeuegroup
R< $+ >		$1
R $+ @ $+	$: $>SearchList <! qgrp> $| <F:$1@$2> <D:$2> <>
ifelse(defn(`_MM_ARG1'), `', `R<?>		$@', `R<?>		$# _MM_ARG1')
R<$+>		$# $1
divert(-1)
