dnl  Appended to every test .mc: -bt cannot type the $| operator, so
dnl  "Start,check_relay name $| addr" turns the typed "$|" into it.
LOCAL_RULESETS
SStart
R$* $$| $*		$: $1 $| $2
