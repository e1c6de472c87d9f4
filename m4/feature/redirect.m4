dnl  Addresses user@host.REDIRECT bounce with "551 User has moved".
divert(3)dnl
R$* < @ $+ .REDIRECT. >		$: $1 < @ $2 . REDIRECT . > < ${opMode} >
R$* < @ $+ .REDIRECT. > <i>	$: $1 < @ $2 . REDIRECT. >
R$* < @ $+ .REDIRECT. > < $- >	$#error $@ 5.1.1 $: "551 User has moved; please try " <$1@$2>
divert(6)dnl
CPREDIRECT
divert(-1)
