"""Taking one message in: sendmail's envelope from the command line (or MAIL FROM) to
the end of the message, i.e. the parts of main(), collect(), eatheader() and
collect_doheader() that turn raw bytes into a message ready to be queued."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Sequence

from monomail import sysexits as ex
from monomail.arpadate import arpadate, arpadate_from_ctime
from monomail.config.headerinfo import H_EOH
from monomail.config.model import Config
from monomail.rewrite.engine import Rewriter
from monomail.rewrite.env import RewriteEnv
from monomail.rewrite.headers import HeaderList
from monomail.rewrite.rscheck import RSF_COUNT, RSF_UNSTRUCTURED, rscheck

from .collect import Collected, CollectOptions, collect, int_option
from .eatheader import HeaderFacts, Recipients, eatheader
from .message import Message
from .problems import Problem
from .sender import Sender

DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
          "Dec")
AUTH_HOST_MAX = 47  # sendmail keeps its host name for these warnings in 48 octets


class RecipientList:
    """Recipients already known as a list (SMTP RCPT, or arguments without -t)."""

    def __init__(self, addresses: Sequence[str]) -> None:
        self.addresses = list(addresses)

    def original(self) -> str | None:
        return self.addresses[0] if len(self.addresses) == 1 else None

    def sendtolist(self, text: str) -> None:
        raise TypeError("-t needs the recipient stage's sendtolist")

    def primaries(self) -> Sequence[str]:
        return self.addresses


@dataclass
class Outcome:
    """The result of taking a message in.

    `problems` are in the order sendmail reports them; the message is accepted when
    none of them rejects it.  `exit_status` is sendmail's ExitStat afterwards (it
    stays 0 for a rejected message, as sendmail's does on the command line; its
    finis then exits 0 for EX_TEMPFAIL too).
    `grabbed` holds the address fields -t read (already passed to sendtolist).
    `clear_queue` (sendmail's EF_CLRQUEUE: headers or message too large) means
    nothing of the message is kept; after other rejecting problems sendmail's
    command line still queues the message (its giveup path drops the envelope,
    which queues undelivered recipients), while SMTP refuses it."""

    message: Message
    problems: list[Problem]
    exit_status: int
    discard: bool = False  # a check ruleset said $#discard
    quarantine: str | None = None  # a check ruleset said $#error $@ quarantine
    receipt: bool = False  # Return-Receipt-To: with RrtImpliesDsn: NOTIFY=SUCCESS for all
    clear_queue: bool = False
    grabbed: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not any(p.rejects for p in self.problems)

    @property
    def reply(self) -> Problem | None:
        """The first rejecting problem: what SMTP answers at the end of DATA."""
        return next((p for p in self.problems if p.rejects), None)


def set_time_macros(env: RewriteEnv, now: float | None = None) -> None:
    """sendmail's settime: {time}, $t, $d, $b, and $a unless a date is already known."""
    t = int(time.time() if now is None else now)
    env.define_macro("time", str(t))
    env.define_macro("t", time.strftime("%Y%m%d%H%M", time.gmtime(t)))
    env.define_macro("d", time.ctime(t))
    env.define_macro("b", arpadate(t))
    if env.macros.get(ord("a")) is None:
        env.define_macro("a", env.macros.get(ord("b")))


def unix_from_date(line: str, now: float | None = None) -> str | None:
    """sendmail's eatfrom: the date of a Unix `From ` line, in RFC 5322 form."""
    fm = line + "\n"
    p = 0
    while p < len(fm):
        while p < len(fm) and fm[p] != " ":
            p += 1
        while p < len(fm) and fm[p] == " ":
            p += 1
        if len(fm) - p < 17:
            return None
        if (not ("A" <= fm[p] <= "Z") or fm[p + 3] != " " or fm[p + 13] != ":"
                or fm[p + 16] != ":"):
            continue
        if fm[p:p + 3] in DAYS and fm[p + 4:p + 7] in MONTHS:
            return arpadate_from_ctime(fm[p:p + 24].ljust(24, "\0"), now).replace("\0", "")
    return None


class Intake:
    """One message on its way in.

    Create it when the envelope starts (after setsender): it holds the cf's
    default fields, to which the SMTP server or the command line may add
    X-Authentication-Warning: fields before the data arrives.  `collect()` then
    reads the data.  The macros the cf's H lines use ($j $v $Z $r $s $_ $i and the
    {client_*}, {auth_*}, {tls_*} family) must be defined in `env` by the caller
    beforehand, the time macros with `set_time_macros`; the intake defines
    $f $g $x $u $c $a {msg_id} {msg_size}."""

    def __init__(self, config: Config, rw: Rewriter, env: RewriteEnv, sender: Sender, *,
                 smtp: bool, hop_count: int = 0, body_type: str | None = None,
                 response: bool = False) -> None:
        self.config, self.rw, self.env, self.sender = config, rw, env, sender
        self.smtp, self.hop_count, self.body_type = smtp, hop_count, body_type
        self.response = response
        self.problems: list[Problem] = []
        self.discard = False
        self.quarantine: str | None = None
        self.headers = HeaderList(config, env, rw, syserr=self._syserr)
        self.headers.sender = sender.facts()
        env.define_macro("f", sender.envelope)
        env.define_macro("c", str(hop_count))

    def _syserr(self, reply: str) -> None:
        self.problems.append(Problem(reply, rejects=False))
        if self.env.exit_status == ex.EX_OK:
            self.env.exit_status = ex.EX_SOFTWARE

    def auth_warning(self, text: str, host: str | None = None) -> None:
        """An X-Authentication-Warning: field (with PrivacyOptions=authwarnings):
        `host: text`, the host being this machine's name.  Each goes before the
        earlier ones, as addheader places it: give them in sendmail's order (-C and
        -oQ warnings, then -f; in SMTP "didn't use HELO protocol" at MAIL)."""
        privacy = self.config.options.get("PrivacyOptions")
        if not isinstance(privacy, frozenset) or "authwarnings" not in privacy:
            return
        me = (host if host is not None else self.env.macros.get(ord("j")) or "")
        self.headers.add("X-Authentication-Warning", f"{me[:AUTH_HOST_MAX]}: {text}")

    def collect(self, data: bytes, recipients: Recipients, *, grab_to: bool = False,
                ignore_dots: bool | None = None, decoded: bool = False) -> Outcome:
        """Read the message (`data` as it arrived: the command line's input, or the
        SMTP DATA octets with or without the final dot line) and finish its header.
        `ignore_dots` is -i/-oi when given (the cf's IgnoreDots otherwise); `decoded`
        says the SMTP server already undid the dots and judged bare line ends."""
        env = self.env
        opts = CollectOptions.from_config(self.config, self.smtp, ignore_dots, decoded)
        saved, env.suppress_errors = env.suppress_errors, True
        try:
            got = collect(data, opts, self._chomp)
            if got.bare is not None:
                word = "linefeed (LF)" if got.bare == "LF" else "carriage return (CR)"
                self.problems.append(Problem(f"421 4.5.0 Bare {word} not allowed"))
            if got.unix_from is not None:
                date = unix_from_date(got.unix_from)
                if date is not None:
                    env.define_macro("a", date)
            if got.headers_too_large:
                self.problems.append(Problem(
                    f"552 5.6.0 Headers too large ({opts.max_headers_length} max)"))
            self.headers.verdicts.append(rscheck(
                self.rw, env, "check_eoh", str(got.header_count), str(got.header_length),
                flags=RSF_UNSTRUCTURED | RSF_COUNT))
            self._take_verdicts()
            facts = eatheader(self.config, env, self.headers, recipients, grab_to=grab_to,
                              hop_count=self.hop_count, body_type=self.body_type,
                              eight_bit=got.header_8bit, response=self.response)
        finally:
            env.suppress_errors = saved
        return self._outcome(got, facts)

    def _chomp(self, line: str) -> bool:
        """A field from collect(); True when it ends the header."""
        flags = self.headers.chomp(line)
        self._take_verdicts()
        return bool(flags & H_EOH)

    def _take_verdicts(self) -> None:
        """Check ruleset errors are reported as they happen, as sendmail does."""
        for verdict in self.headers.verdicts:
            if verdict.message:
                self.problems.append(Problem(verdict.message))
            self.discard |= verdict.discard
            self.quarantine = verdict.quarantine or self.quarantine
        self.headers.verdicts.clear()

    def _outcome(self, got: Collected, facts: HeaderFacts) -> Outcome:
        hl, env = self.headers, self.env
        outcome = Outcome(Message([], b""), self.problems, ex.EX_OK, discard=self.discard,
                          quarantine=self.quarantine, receipt=facts.receipt,
                          clear_queue=got.headers_too_large or got.too_big,
                          grabbed=facts.grabbed)
        if facts.no_recipients:
            self.problems.append(Problem("550 No recipient addresses found in header"))
        if got.too_big and not outcome.reply:
            limit = self.config.options.get("MaxMessageSize")
            self.problems.append(Problem(
                f"552 5.2.3 Message exceeds maximum fixed size ({limit})"))
        body_type = facts.body_type
        if got.has_8bit:
            if self.config.options.get("EightBitMode") == "s" and not facts.is_mime:
                self.problems.append(Problem("554 5.6.1 Eight bit data not allowed"))
        elif (body_type or "").lower() == "8bitmime":
            body_type = "7BIT"
        if got.has_nul and self.config.options.get("RejectNUL"):
            self.problems.append(Problem("554 5.6.1 NUL byte not allowed"))
        env.define_macro("msg_size", str(got.size))
        outcome.message = Message(
            [h for h in hl.fields if h.value is not None], got.body, resent=hl.resent,
            delete_bcc=facts.delete_bcc, oldstyle=hl.oldstyle, has_8bit=got.has_8bit,
            is_mime=facts.is_mime, dont_mime=facts.dont_mime, body_type=body_type,
            hop_count=facts.hop_count, msgid=facts.msgid,
            priority_class=facts.priority_class, timeout_class=facts.timeout_class,
            size=got.size, errors_to=list(hl.errors_to))
        outcome.exit_status = env.exit_status
        return outcome


def too_many_hops(config: Config, message: Message, sender: str, via: str | None,
                  first_recipient: str | None) -> Problem | None:
    """sendall's loop check (delivery's business, the counting is ours): more trace
    fields than MaxHopCount bounce the message with this text."""
    limit = int_option(config, "MaxHopCount")
    if message.hop_count <= limit:
        return None
    return Problem(f"554 5.4.6 Too many hops {message.hop_count} ({limit} max): from "
                   f"{sender} via {via or 'localhost'}, to {first_recipient or '(nobody)'}")
