divert(-1)
dnl
dnl  parse.m4 -- the address rulesets: canonify (3) and its second half
dnl  Canonify2 (96), final (4), parse (0) with Parse0/ParseLocal (98)/Parse1,
dnl  localaddr (5), Mailertable (90), MailerToTriple (95), CanonLocal,
dnl  MasqHdr (93) and MasqEnv (94).  Names and numbers are the ones admins'
dnl  LOCAL_RULE_n and LOCAL_RULESETS call; what a ruleset does for an address
dnl  is what the same ruleset does in a sendmail.cf.
dnl
dnl  Rule text is written at top level (never inside a define), so the $1
dnl  of a rule is never taken for a macro argument; conditional rules sit in
dnl  quoted ifdef arguments, which m4 does not substitute either.  No
dnl  apostrophes in rule comments: they would end the quote.
dnl
divert(0)dnl

######################################################################
#  canonify (3): put the address in the form  user < @ host >
######################################################################
Scanonify=3
R$@			$@ <@>				empty: the null sender
R$*			$: $1 <@>			tag: a leading group name may go
R$* < $* > $* <@>	$: $1 < $2 > $3			... keep it with angle brackets
R@ $* <@>		$: @ $1				... with a source route
R$* [ IPv6 : $+ ] <@>	$: $1 [ IPv6 : $2 ]		... with an IPv6 literal
R$* :: $* <@>		$: $1 :: $2			... with node::user
R:include: $* <@>	$: :include: $1			... with :include:
R$* : $* [ $* ]		$: $1 : $2 [ $3 ] <@>		a colon before a literal: tag again
R$* : $* <@>		$: $2				drop the group name
R$* <@>			$: $1				untag
R$* ;			   $1				drop a trailing semicolon
R$* < $+ :; > $*	$@ $2 :; <@>			<list:;>
R$* < $* ; >		   $1 < $2 >			semicolon inside brackets
R$@			$@ :; <@>
R$*			$: < $1 >			wrap everything, then keep
R$+ < $* >		   < $2 >			... only the innermost brackets
R< $* > $+		   < $1 >
R<>			$@ < @ >			<> is the null sender
R< $+ >			$: $1				unwrap
R@ $+ , $+		$2				drop a source route: @a,@b:u
R@ [ $* ] : $+		$2
R@ $+ : $+		$2
R $+ : $* ; @ $+	$@ $>Canonify2 $1 : $2 ; < @ $3 >	list:; at a host
R $+ : $* ;		$@ $1 : $2;			list:;
R$+ @ $+		$: $1 < @ $2 >			focus on the host ...
R$+ < $+ @ $+ >		$1 $2 < @ $3 >			... after the last @
R$+ < @ $+ >		$@ $>Canonify2 $1 < @ $2 >	done
_MM_UUCP_OK(`R$- ! $+		$@ $>Canonify2 $2 < @ $1 .UUCP >	host!user
R$+ . $- ! $+		$@ $>Canonify2 $3 < @ $1 . $2 >		a.b!user
R$+ ! $+		$@ $>Canonify2 $2 < @ $1 .UUCP >	a!b!user
')dnl
ifdef(`_USE_DECNET_SYNTAX_', `R$- :: $+		$@ $>Canonify2 $2 < @ $1 .DECNET >	DECnet node::user
R$- . $- :: $+		$@ $>Canonify2 $3 < @ $1.$2 .DECNET >	numeric DECnet node
')dnl
ifdef(`_MM_NO_PERCENT', `', `R$* % $*		$1 @ $2				percent hack: every % is an @
R$* @ $* @ $*		$1 % $2 @ $3			... but the rightmost one
')dnl
R$* @ $*		$@ $>Canonify2 $1 < @ $2 >
R$*			$@ $>Canonify2 $1

######################################################################
#  Canonify2 (96): canonical host names, trailing dot when known
######################################################################
SCanonify2=96
R$* < @ localhost > $*		$: $1 < @ $j . > $2	our own names
R$* < @ localhost . $m > $*	$: $1 < @ $j . > $2
_MM_UUCP_OK(`R$* < @ localhost . UUCP > $*	$: $1 < @ $j . > $2
')dnl
R$* < @ [ $+ ] > $*		$: $1 < @@ [ $2 ] > $3	address literals:
R$* < @@ $=w > $*		$: $1 < @ $j . > $3	... one of ours
R$* < @@ $+ > $*		$@ $1 < @ $2 > $3	... left as given
ifdef(`_MM_FEAT_domaintable', `R$* < @ $+ > $*		$: $1 < @ $(domaintable $2 $) > $3
')dnl
undivert(2)dnl
_MM_UUCP_OK(`ifdef(`UUCP_RELAY', `R$* < @ $+ . UUCP > $*		$@ $1 < @ $2 . UUCP . > $3
', `ifdef(`_MM_FEAT_nocanonify', `', `R$* < @ $+ . UUCP > $*		$: $1 < @ $[ $2 $] . UUCP . > $3
R$* < @ $+ . . UUCP . > $*	$@ $1 < @ $2 . > $3
')')')dnl
R$* < @ $* $=P > $*		$: $1 < @ $2 $3 . > $4	pseudo domains are final
R$* < @ $* $~P > $*		$: $&{daemon_flags} $| $1 < @ $2 $3 > $4
ifdef(`_MM_FEAT_nocanonify', `R$* $| $* < @ $* $={Canonify} > $*	$: $2 < @ $[ $3 $4 $] > $5
R$* c $* $| $* < @ $* > $*	$: $3 < @ $[ $4 $] > $5
R$* $| $* < @ $+ . > $*		$: $2 < @ $3 . > $4
R$* $| $* < @ $+.$+ > $*	$: $2 < @ $3.$4 . > $5
ifdef(`_MM_CANONIFY_HOSTS', `R$* $| $* < @ $* > $*		$: $2 < @ $[ $3 $] > $4
')', `R$* CC $* $| $* < @ $+.$+ > $*	$: $3 < @ $4.$5 . > $6	daemon says: no lookups
R$* CC $* $| $*			$: $3
R$* $| $* < @ $* > $*		$: $2 < @ $[ $3 $] > $4	look the name up
')dnl
R$* $| $*			$: $2
R$* < @ $=w > $*		$: $1 < @ $2 . > $3	our names are canonical
ifdef(`_MM_FEAT_masquerade_entire_domain', `R$* < @ $* $=M > $*		$: $1 < @ $2 $3 . > $4
', `R$* < @ $=M > $*		$: $1 < @ $2 . > $3
')dnl
ifdef(`_MM_FEAT_virtusertable', `ifdef(`_MM_FEAT_virtuser_entire_domain', `R$* < @ $* $={VirtHost} > $*	$: $1 < @ $2 $3 . > $4
', `R$* < @ $={VirtHost} > $*	$: $1 < @ $2 . > $3
')')dnl
ifdef(`_MM_FEAT_genericstable', `ifdef(`_MM_FEAT_generics_entire_domain', `R$* < @ $* $=G > $*	$: $1 < @ $2 $3 . > $4
', `R$* < @ $=G > $*	$: $1 < @ $2 . > $3
')')dnl
R$* < @ $* . . > $*		$1 < @ $2 . > $3	one trailing dot is enough

######################################################################
#  final (4): back to the form people write
######################################################################
Sfinal=4
R$+ :; <@>		$@ $1 :				list:;
R$* <@>			$@				<> and list:;
R$* < @ $+ . > $*	$1 < @ $2 > $3			drop the trailing dot
R$* < @ *LOCAL* > $*	$1 < @ $j > $2
R$* < $+ > $*		$1 $2 $3			defocus
R@ $+ : @ $+ : $+	@ $1 , @ $2 : $3		route: commas between hops
R@ $*			$@ @ $1
_MM_UUCP_OK(`R$+ @ $- . UUCP		$2!$1				user@h.UUCP: h!user
')dnl
ifdef(`_USE_DECNET_SYNTAX_', `R$+ @ $+ . DECNET	$2 :: $1			back to node::user
')dnl
R$+ % $=w @ $=w		$1 @ $2				u%ours@ours: u@ours

######################################################################
#  Recurse (97): start over with a rewritten address
######################################################################
SRecurse=97
R$*			$: $>canonify $1
R$*			$@ $>parse $1

######################################################################
#  parse (0): choose the mailer triple
######################################################################
Sparse=0
R$*			$: $>Parse0 $1			syntax checks
R<@>			$#_MM_LOCAL $: <@>		error messages
R$*			$: $>ParseLocal $1		the admin rules (ruleset 98)
R$*			$: $>Parse1 $1			routing

SParse0
R<@>			$@ <@>
R$* : $* ; <@>		$#error $@ 5.1.3 $: "553 List:; syntax illegal for recipient addresses"
R@ <@ $* >		< @ $1 >			@@host
R<@ $+>			$#error $@ 5.1.3 $: "553 User address required"
R$+ <@>			$#error $@ 5.1.3 $: "553 Hostname required"
R$*			$: <> $1
R<> $* < @ [ $* ] : $+ > $*	$1 < @ [ $2 ] : $3 > $4	[a]:[b] is fine
R<> $* < @ [ $* ] , $+ > $*	$1 < @ [ $2 ] , $3 > $4
R<> $* < @ [ $* ] $+ > $*	$#error $@ 5.1.2 $: "553 Invalid address"
R<> $* < @ [ $+ ] > $*		$1 < @ [ $2 ] > $3
R<> $* <$* : $* > $*	$#error $@ 5.1.3 $: "553 Colon illegal in host name part"
R<> $*			$1
R$* < @ . $* > $*	$#error $@ 5.1.2 $: "553 Invalid host name"
R$* < @ $* .. $* > $*	$#error $@ 5.1.2 $: "553 Invalid host name"
R$* < @ $* @ > $*	$#error $@ 5.1.2 $: "553 Invalid route address"
R$* @ $* < @ $* > $*	$#error $@ 5.1.3 $: "553 Invalid route address"
R$* , $~O $*		$#error $@ 5.1.3 $: "553 Invalid route address"
R$* < @ > $*		$@ $>Parse0 $>canonify $1	user@ is user
R< @ $=w . > : $*	$@ $>Parse0 $>canonify $2	@ours:rest is rest
R$- < @ $=w . >		$: $(dequote $1 $) < @ $2 . >	"user"@ours
R< @ $+ >		$#error $@ 5.1.3 $: "553 User address required"
R$* $=O $* < @ $=w . >	$@ $>Parse0 $>canonify $1 $2 $3	a%b@ours is a%b
R$-			$: $(dequote $1 $) < @ *LOCAL* >	"user"
R< @ *LOCAL* >		$#error $@ 5.1.3 $: "553 User address required"
R$* $=O $* < @ *LOCAL* >
			$@ $>Parse0 $>canonify $1 $2 $3
R$* < @ *LOCAL* >	$: $1

SParse1
ifdef(`_MM_MAILER_smtp', `R$* < @ [ $+ ] > $*	$: $>ParseLocal $1 < @ [ $2 ] > $3	address literal
R$* < @ [ $+ ] > $*	$: $1 < @ [ $2 ] : $S > $3	... smart host?
R$* < @ [ $+ ] : > $*		$#_MM_SMTP $@ [$2] $: $1 < @ [$2] > $3
R$* < @ [ $+ ] : $- : $*> $*	$#$3 $@ $4 $: $1 < @ [$2] > $5
R$* < @ [ $+ ] : $+ > $*	$#_MM_SMTP $@ $3 $: $1 < @ [$2] > $4
')dnl
ifdef(`_MM_FEAT_virtusertable', `R$+			$: <!> $1		mark: try the virtusertable
ifdef(`_MM_FEAT_virtuser_entire_domain', `R<!> $+ < @ $* $={VirtHost} . >	$: < $(virtuser $1 @ $2 $3 $@ $1 $: @ $) > $1 < @ $2 $3 . >
', `R<!> $+ < @ $={VirtHost} . >	$: < $(virtuser $1 @ $2 $@ $1 $: @ $) > $1 < @ $2 . >
')dnl
R<!> $+ < @ $=w . >	$: < $(virtuser $1 @ $2 $@ $1 $: @ $) > $1 < @ $2 . >
R<@> $+ + $+ < @ $* . >
			$: < $(virtuser $1 + + @ $3 $@ $1 $@ $2 $@ +$2 $: @ $) > $1 + $2 < @ $3 . >
R<@> $+ + $* < @ $* . >
			$: < $(virtuser $1 + * @ $3 $@ $1 $@ $2 $@ +$2 $: @ $) > $1 + $2 < @ $3 . >
R<@> $+ + $* < @ $* . >
			$: < $(virtuser $1 @ $3 $@ $1 $@ $2 $@ +$2 $: @ $) > $1 + $2 < @ $3 . >
R<@> $+ + $+ < @ $+ . >	$: < $(virtuser + + @ $3 $@ $1 $@ $2 $@ +$2 $: @ $) > $1 + $2 < @ $3 . >
R<@> $+ + $* < @ $+ . >	$: < $(virtuser + * @ $3 $@ $1 $@ $2 $@ +$2 $: @ $) > $1 + $2 < @ $3 . >
R<@> $+ + $* < @ $+ . >	$: < $(virtuser @ $3 $@ $1 $@ $2 $@ +$2 $: ! $) > $1 + $2 < @ $3 . >
R<@> $+ < @ $+ . >	$: < $(virtuser @ $2 $@ $1 $: @ $) > $1 < @ $2 . >
R<@> $+			$: $1				no entry
R<!> $+			$: $1				not a virtual domain
R< error : $-.$-.$- : $+ > $*	$#error $@ $1.$2.$3 $: $4
R< error : $- $+ > $*	$#error $@ $(dequote $1 $) $: $2
R< $+ > $+ < @ $+ >	$: $>Recurse $1			the new address
')dnl
ifdef(`_MM_FEAT_stickyhost', `R$+ < @ $=w . >		$: < $H > $1 < @ $2 . >	hub first
R< $+ > $+ < $+ >	$>MailerToTriple < $1 > $2 < $3 >
R< > $+ + $* < $+ >	$#_MM_LOCAL $: $1 + $2
R< > $+ < $+ >		$#_MM_LOCAL $: @ $1
', `R$=L < @ $=w . >	$#_MM_LOCAL $: @ $1		names in class L
R$+ < @ $=w . >		$#_MM_LOCAL $: $1		our own users
')dnl
ifdef(`_MM_FEAT_mailertable', `R$* <@ $+ > $*		$: < $2 > $1 < @ $2 > $3	mailertable by host
R< $+ . > $*		$: < $1 > $2
R< $+ > $*		$: < $(mailertable $1 $) > $2
R< $~[ : $* > $*	$>MailerToTriple < $1 : $2 > $3
R< $+ > $*		$: $>Mailertable <$1> $2	... then by domain
')dnl
undivert(4)dnl
ifdef(`UUCP_RELAY', `R$*<@$*.UUCP.>$*		$: $>MailerToTriple < $Y > $1 <@$2.UUCP.> $3
', `ifdef(`_MM_MAILER_uucp', `R$* < @ $+ .UUCP. > $*		$#_MM_UUCP $@ $2 $: $1 < @ $2 .UUCP. > $3
')')dnl
ifdef(`_MM_NET_CONFIG', `undivert(1)')dnl
R$* < @ $* > $*		$: $>MailerToTriple < $S > $1 < @ $2 > $3	smart host
ifdef(`_MM_MAILER_smtp', `R$* < @$* > $*		$#_MM_SMTP $@ $2 $: $1 < @ $2 > $3
', `R$* < @$* > $*		$#error $@ 5.1.2 $: "553 Unrecognized host name " $2
')dnl
R$=L			$#_MM_LOCAL $: @ $1
R$+			$#_MM_LOCAL $: $1

######################################################################
#  localaddr (5): local names after aliasing (relay, hub, +detail)
######################################################################
SLocal_localaddr
Slocaladdr=5
R$+			$: $1 $| $>Local_localaddr $1
R$+ $| $#ok		$@ $1
R$+ $| $#$*		$#$2
R$+ $| $*		$: $1
ifdef(`_MM_FEAT_preserve_luser_host', `R$+			$: $1 $| $&h $| $&{Host}
R$+ $| $|		$: $(macro {Host} $@ $) $1
R$+ $| $| $+		$: $1
R$+ $| +$* $| $*	$: $1
R$+ $| $* @ $+ $| $*	$: $(macro {Host} $@ @$3 $) $1
R$+ $| $+ $| $*		$: $(macro {Host} $@ @$2 $) $1
')dnl
ifdef(`_MM_FEAT_preserve_local_plus_detail', `', `R$+ + *			$#_MM_LOCAL $@ $&h $: $1
R$+ + $*		$#_MM_LOCAL $@ + $2 $: $1 + *
')dnl
R$+			$: <> $1
ifdef(`LUSER_RELAY', `ifdef(`_MM_FEAT_preserve_local_plus_detail', `R< > $+ + $*		$: < ? $L > <+ $2> $(user $1 $)
R< > $+			$: < ? $L > < > $(user $1 $)
R< ? $* > < $* > $+ <>	$: < > $3 $2
R< ? $* > < $* > $+	$: < $1 > $3 $2
', `R< > $+			$: < $L > $(user $1 $)	unknown user?
R< $* > $+ <>		$: < > $2
')ifdef(`_MM_FEAT_preserve_luser_host', `R< $+ > $+		$: < $1 > $2 $&{Host}
')')dnl
ifdef(`MAIL_HUB', `R< > $+			$: < $H > $1		to the hub
')dnl
ifdef(`LOCAL_RELAY', `R< > $+			$: < $R > $1		to the local relay
')dnl
ifdef(`_MM_FEAT_preserve_local_plus_detail', `R< > $+			$@ $1
', `R< > $+			$: < > < $1 <> $&h >	put +detail back
ifdef(`_MM_FEAT_preserve_luser_host', `R< > < $+ @ $+ <> + $* >	$: < > < $1 + $3 @ $2 >
')dnl
R< > < $+ <> + $* >	$: < > < $1 + $2 >
R< > < $+ <> $* >	$: < > < $1 >
R< > < $+ + $* > $*	   < > < $1 > + $2 $3
R< > < $+ > + $*	$#_MM_LOCAL $@ $2 $: @ $1
R< > < $+ >		$@ $1
R$+			$: $1 <> $&h
ifdef(`_MM_FEAT_preserve_luser_host', `R$+ @ $+ <> + $*	$: $1 + $3 @ $2
')dnl
R$+ <> + $*		$: $1 + $2
R$+ <> $*		$: $1
')dnl
R< local : $* > $*	$: $>MailerToTriple < local : $1 > $2
R< error : $* > $*	$: $>MailerToTriple < error : $1 > $2
ifdef(`_MM_FEAT_preserve_luser_host', `R< $~[ : $+ > $+ @ $+	$: $>MailerToTriple < $1 : $2 > $3 < @ $4 >
')dnl
R< $~[ : $+ > $+	$: $>MailerToTriple < $1 : $2 > $3 < @ $2 >
ifdef(`_MM_FEAT_preserve_luser_host', `R< $+ > $+ @ $+		$@ $>MailerToTriple < $1 > $2 < @ $3 >
')dnl
R< $+ > $+		$@ $>MailerToTriple < $1 > $2 < @ $1 >
ifdef(`_MM_FEAT_mailertable', `
######################################################################
#  Mailertable (90): look up .domain, .parent, ... and finally "."
######################################################################
SMailertable=90
R$* <$- . $+ > $*	$: $1$2 < $(mailertable .$3 $@ $1$2 $@ $2 $) > $4
R$* <$~[ : $* > $*	$>MailerToTriple < $2 : $3 > $4		found
R$* < . $+ > $*		$@ $>Mailertable $1 . <$2> $3		next parent
R$* < $* > $*		$: < $(mailertable . $@ $1$2 $) > $3	the "." entry
R< $~[ : $* > $*	$>MailerToTriple < $1 : $2 > $3
R< $* > $*		$@ $2					no entry
')dnl

######################################################################
#  MailerToTriple (95): <[mailer:]host> address -> triple
######################################################################
SMailerToTriple=95
R< > $*				$@ $1			no relay
R< error : $-.$-.$- : $+ > $*	$#error $@ $1.$2.$3 $: $4
R< error : $- : $+ > $*		$#error $@ $(dequote $1 $) $: $2
R< error : $+ > $*		$#error $: $1
R< local : $* > $*		$>CanonLocal < $1 > $2
R< $~[ : $+ @ $+ > $*<$*>$*	$# $1 $@ $3 $: $2<@$3>	mailer:user@host
R< $~[ : $+ > $*		$# $1 $@ $2 $: $3	mailer:host
R< $=w > $*			$@ $2			ourselves: no relay
R< $+ > $*			$#_MM_RELAY $@ $1 $: $2	host: the relay mailer

SCanonLocal
R< $* > < @ $+ > : $+		$@ $>Recurse $3
R< $* > $+ $=O $+ < @ $+ >	$@ $>Recurse $2 $3 $4
R< $* > $* < @ $* . >		$: < $1 > $2 < @ $3 >
R< > $* < @ $* > $*		$#_MM_LOCAL $@ $1@$2 $: $1
R< > $+				$#_MM_LOCAL $@ $1    $: $1
R< $+ @ $+ > $* < @ $* >	$: < $1 > $3 < @ $4 >
R< $+ > $* <@ $* > $*		$#_MM_LOCAL $@ $2@$3 $: $1
R< $+ > $*			$#_MM_LOCAL $@ $2    $: $1

######################################################################
#  MasqHdr (93) and MasqEnv (94): masquerading and the genericstable
######################################################################
SMasqHdr=93
ifdef(`_MM_FEAT_genericstable', `ifdef(`_MM_FEAT_generics_entire_domain', `R$+ < @ $* $=G . >	$: < $1@$2$3 > $1 < @ $2$3 . > @
', `R$+ < @ $=G . >	$: < $1@$2 > $1 < @ $2 . > @
')dnl
R$+ < @ *LOCAL* >	$: < $1@$j > $1 < @ *LOCAL* > @
R< $+ > $+ < $* > @	$: < $(generics $1 $: @ $1 $) > $2 < $3 >
R<@$+ + $* @ $+> $+ < @ $+ >
		$: < $(generics $1+*@$3 $@ $2 $:@$1 + $2@$3 $) >  $4 < @ $5 >
R<@$+ + $* @ $+> $+ < @ $+ >
		$: < $(generics $1@$3 $: $) > $4 < @ $5 >
R<@$+ > $+ < @ $+ >	$: < > $2 < @ $3 >
R< > $+ < @ $+ . >	$: < $(generics @$2 $@ $1 $: $) > $1 < @ $2 . >
R< > $+ < @ $+ >	$: < $(generics $1 $: $) > $1 < @ $2 >
R< > $+ + $* < @ $+ >	$: < $(generics $1+* $@ $2 $: $) > $1 + $2 < @ $3 >
R< > $+ + $* < @ $+ >	$: < $(generics $1 $: $) > $1 + $2 < @ $3 >
R< $* @ $* > $* < $* >	$@ $>canonify $1 @ $2		found, with a domain
R< $+ > $* < $* >	$: $>canonify $1 @ *LOCAL*	found, a local name
R< > $*			$: $1				not found
')dnl
R$* < @ $* $=N . >	$@ $1 < @ $2 $3 . >		never these domains
ifdef(`_MM_MASQ_AS', `R$=E < @ *LOCAL* >	$@ $1 < @ $j . >		users in class E
ifdef(`_MM_FEAT_masquerade_entire_domain', `R$=E < @ $* $=M . >	$@ $1 < @ $2 $3 . >
', `R$=E < @ $=M . >	$@ $1 < @ $2 . >
')dnl
ifdef(`_MM_FEAT_limited_masquerade', `', `R$=E < @ $=w . >	$@ $1 < @ $2 . >
')dnl
ifdef(`_MM_FEAT_masquerade_entire_domain', `R$* < @ $* $=M . > $*	$: $1 < @ $2 $3 . @ $M > $4
', `R$* < @ $=M . > $*	$: $1 < @ $2 . @ $M > $3
')dnl
ifdef(`_MM_FEAT_limited_masquerade', `', `R$* < @ $=w . > $*	$: $1 < @ $2 . @ $M > $3
')dnl
R$* < @ *LOCAL* > $*	$: $1 < @ $j . @ $M > $2
R$* < @ $+ @ > $*	$: $1 < @ $2 > $3		empty $M: keep
R$* < @ $+ @ $+ > $*	$: $1 < @ $3 . > $4		masquerade
', `R$* < @ *LOCAL* >	$@ $1 < @ $j . >
')dnl

SMasqEnv=94
ifdef(`_MM_FEAT_masquerade_envelope', `R$+			$@ $>MasqHdr $1
', `R$* < @ *LOCAL* > $*	$: $1 < @ $j . > $2
')dnl

######################################################################
#  ParseLocal (98): the rules of the admin
######################################################################
SParseLocal=98
undivert(3)dnl
