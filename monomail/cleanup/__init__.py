"""The cleanup stage: from raw message octets to a stored, delivery-ready message.

It does what sendmail does between the envelope sender and the end of the data
(main.c, envelope.c setsender, collect.c, headers.c): read the octets, take the
header apart, add what the cf's `H` lines say (Date, Message-Id, From with the full
name, Received, ...), strip or keep Bcc, note the facts delivery needs, and later
write the header for one mailer.  Everything is checked against sendmail 8.17 itself
(tests/cleanup): the qf `H` lines, the df body, the messages and exit statuses, and
the octets capture mailers receive.

Taking a message in (the command line and the SMTP server)::

    env = RewriteEnv(config, out)            # one per message
    env.define_macro("i", qid)               # and $_ $s $r {client_*} ... as sendmail has them
    set_time_macros(env, arrival_time)       # $b $d $t {time}, $a
    sender = setsender(config, rw, env, sender_argument(f) if f else None,
                       real_user=login, smtp=False, full_name=full_name_argument(F))
    intake = Intake(config, rw, env, sender, smtp=False, hop_count=h, body_type=B)
    if warning := sender_warning(config, sender, given, login):   # untrusted -f
        intake.auth_warning(warning)
    outcome = intake.collect(data, recipients, grab_to=t, ignore_dots=i)

`recipients` is the recipient stage's list (`Recipients`: e_origrcpt, sendtolist for
-t, the primary addresses); `RecipientList(addresses)` does when there is no -t.
sendmail 8.17 keeps argument recipients with -t (it is built without
_FFR_FIX_DASHT): the header's addresses are added to them, none are removed.

`outcome.problems` are sendmail's messages (`Problem.reply` with codes for SMTP,
`.text` for the command line); `outcome.accepted`, `.reply` (the DATA answer),
`.clear_queue`, `.discard`, `.quarantine`, `.exit_status` (sendmail's ExitStat) say
what to do with the message.  `too_many_hops` is the MaxHopCount check delivery makes.

Storing and delivering::

    data = encode(outcome.message)           # opaque octets for the queue
    message = decode(data)                   # checked; StoredMessageError otherwise
    octets = render(message, mailer, header_context(config, rw, env))

render() needs in `env` the macros deliver() sets ($g: the sender through the mailer's
rules, $u, $h, $d).  It writes the Unix From line for program mailers without F=n,
the header per mailer, and the body with the mailer's line ends and L= limit; the
SMTP transport adds hidden dots (F=X).  `queue_header_lines` gives the qf form.
"""

from .codec import StoredMessageError, decode, encode
from .eatheader import Recipients
from .intake import Intake, Outcome, RecipientList, set_time_macros, too_many_hops
from .message import Message
from .problems import Problem
from .putheader import HeaderContext, HeaderWriteError, queue_header_lines
from .render import ConversionNeeded, header_context, render
from .sender import (Sender, full_name_argument, sender_argument, sender_warning,
                     setsender)

__all__ = ["ConversionNeeded", "HeaderContext", "HeaderWriteError", "Intake", "Message",
           "Outcome", "Problem", "RecipientList", "Recipients", "Sender",
           "StoredMessageError", "decode", "encode", "full_name_argument", "header_context",
           "queue_header_lines", "render", "sender_argument", "sender_warning",
           "set_time_macros", "setsender", "too_many_hops"]
