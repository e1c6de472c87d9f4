"""sendmail's eatheader() and collect_doheader(): what happens once the header has
been read.  Defaults from the cf are bound (expanded) now, except Return-Path and
other late-binding fields; trace fields are counted; -t takes recipients from the
address fields; Bcc: is marked for deletion or a recipient field is added as
NoRecipientAction says; the content facts delivery needs are noted."""

from __future__ import annotations

import email.message
from dataclasses import dataclass, field
from typing import Protocol, Sequence

from monomail.config.headerinfo import (H_BINDLATE, H_DEFAULT, H_FROM, H_RCPT, H_RESENT,
                                        H_TRACE, SPACES)
from monomail.config.macros import expand
from monomail.config.model import Config
from monomail.rewrite.crackaddr import crackaddr
from monomail.rewrite.env import MAXLINE, RewriteEnv
from monomail.rewrite.headers import HeaderList, denlstring

from .sender import addquotes, rfc822_string

NO_RECIPIENT_FIELDS = {"add-apparently-to": "Apparently-To", "add-to": "To"}


class Recipients(Protocol):
    """The envelope's recipient list, as the cleanup stage needs to see it."""

    def original(self) -> str | None:
        """sendmail's e_origrcpt: the address as given when exactly one primary
        recipient was named (it fills `for <...>` in Received:), else None."""

    def sendtolist(self, text: str) -> None:
        """-t: add the addresses of one header field (sendmail's sendtolist)."""

    def primaries(self) -> Sequence[str]:
        """The recipients not reached through an alias, in the envelope's order."""


@dataclass
class HeaderFacts:
    """What eatheader learns besides the fields themselves."""

    hop_count: int = 0
    msgid: str | None = None
    priority_class: int = 0
    timeout_class: str = "normal"
    is_mime: bool = False
    dont_mime: bool = False
    body_type: str | None = None
    delete_bcc: bool = False
    receipt: bool = False  # Return-Receipt-To: with RrtImpliesDsn
    no_recipients: bool = False  # -t found no one
    grabbed: list[str] = field(default_factory=list)  # -t: the address fields read


def _expand(env: RewriteEnv, text: str) -> str:
    """expand() into one of sendmail's MAXLINE buffers."""
    return expand(text, env.macros.get, env.syserr)[:MAXLINE - 1]


def eatheader(config: Config, env: RewriteEnv, hl: HeaderList, recipients: Recipients, *,
              grab_to: bool, hop_count: int, body_type: str | None, eight_bit: bool,
              response: bool = False) -> HeaderFacts:
    """Bind defaults and read the header.  `eight_bit` is whether 8-bit data was seen
    so far (sendmail looks at that while the body is still unread)."""
    facts = HeaderFacts(hop_count=hop_count, body_type=body_type)
    sender = env.macros.get(ord("f"))
    env.define_macro("g", sender)
    env.define_macro("u", recipients.original() or None)
    full = hl.value("full-name")
    if full is not None:
        env.define_macro("x", full if rfc822_string(full) else addquotes(full))
    colon_ok = bool(config.options.get("ColonOkInAddr"))
    msgid_field = "resent-message-id" if hl.resent else "message-id"
    hops = 0
    for h in hl.fields:
        if h.value is None:
            continue
        if h.flags & H_DEFAULT and not h.flags & H_BINDLATE:
            bound = _expand(env, h.value)
            if bound and bound != " ":
                if h.flags & H_FROM:
                    bound = _expand(env, crackaddr(bound, colon_ok))
                h.value = denlstring(bound)  # as queueup writes it: no line can be forged
                h.flags &= ~H_DEFAULT
        if h.flags & H_TRACE:
            hops += 1
        if (grab_to and h.flags & H_RCPT and not h.flags & H_DEFAULT
                and (not hl.resent or h.flags & H_RESENT)):
            text = denlstring(h.value, strict=True)
            facts.grabbed.append(text)
            recipients.sendtolist(text)
        if h.key == msgid_field:
            facts.msgid = h.value.lstrip(SPACES)
            env.define_macro("msg_id", facts.msgid)
    if hops > facts.hop_count:
        facts.hop_count = hops
        env.define_macro("c", str(hops))
    _classify(config, hl, facts, response)
    date = hl.value("posted-date") or hl.value("date")
    if date is not None:
        env.define_macro("a", date)
    _mime(hl, facts, eight_bit)
    _doheader(config, hl, recipients, facts, grab_to)
    return facts


def _classify(config: Config, hl: HeaderList, facts: HeaderFacts, response: bool) -> None:
    """Precedence: gives the priority class; it, a delivery report and Priority:
    decide which queue timeouts apply."""
    precedence = hl.value("precedence")
    if precedence is not None:
        facts.priority_class = next((v for k, v in config.priorities.items()
                                     if k.lower() == precedence.lower()), 0)
    if facts.priority_class < 0:
        facts.timeout_class = "non-urgent"
    elif facts.priority_class > 0:
        facts.timeout_class = "urgent"
    ctype = hl.value("content-type")
    if ctype is not None and _is_delivery_report(ctype):
        facts.timeout_class = "dsn"
    priority = hl.value("priority")
    if priority is not None and priority.lower() in ("urgent", "normal", "non-urgent"):
        facts.timeout_class = priority.lower()
    elif response:
        facts.timeout_class = "dsn"


def _is_delivery_report(content_type: str) -> bool:
    probe = email.message.Message()
    probe["Content-Type"] = content_type
    return (probe.get_content_type() == "multipart/report"
            and str(probe.get_param("report-type", "")).lower() == "delivery-status")


def _mime(hl: HeaderList, facts: HeaderFacts, eight_bit: bool) -> None:
    if (facts.body_type or "").lower() == "8bitmime" or hl.value("MIME-Version") is not None:
        facts.is_mime = True
        if eight_bit:
            facts.body_type = "8BITMIME"
        return
    ctype = hl.value("Content-Type")
    if ctype is not None:
        marks = [i for i in (ctype.find(";"), ctype.find("/")) if i >= 0]
        facts.dont_mime = not marks or ctype[min(marks)] == ";"


def _doheader(config: Config, hl: HeaderList, recipients: Recipients, facts: HeaderFacts,
              grab_to: bool) -> None:
    """collect_doheader after eatheader: -t must have found someone; Bcc: goes when
    there is another recipient field, else NoRecipientAction may add one."""
    if grab_to and not recipients.primaries():
        facts.no_recipients = True
    opts = config.options
    facts.receipt = bool(opts.get("RrtImpliesDsn")) and hl.value("return-receipt-to") is not None
    if any(hl.value(name) is not None for name in ("to", "cc", "apparently-to")):
        facts.delete_bcc = True
        return
    if hl.value("bcc") is not None:
        return
    action = str(opts.get("NoRecipientAction") or "none")
    if action == "add-bcc":
        hl.add("Bcc", " ")
    elif action == "add-to-undisclosed":
        hl.add("To", "undisclosed-recipients:;")
    elif action in NO_RECIPIENT_FIELDS:
        for address in recipients.primaries():
            hl.add(NO_RECIPIENT_FIELDS[action], address)
