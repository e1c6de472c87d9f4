"""One SMTP session as a pure state machine: bytes in, reply lines out, no sockets.

The driver (the asyncio server, or stdin/stdout for -bs) feeds what it reads to
`receive()`, writes what `outgoing()` returns, and looks at `waiting` after each
call: a `MessageReady` asks it to run the accept_message hook and report with
`message_done()`; a `Pause` asks it to wait (sendmail's tarpit sleeps, greet_pause)
and call `resume()`.  Every command line already received is processed in order and
its replies are queued, so a pipelined group is answered in one write.

The command loop follows srvrsmtp.c's smtp(): one error reply per command (later
errors of the same command are held back, as sendmail's OnlyOneError does), the null
server that refuses almost everything, the counters that slow down or drop abusive
clients.  The commands themselves live in hello.py, transaction.py and inquiry.py.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from monomail.clib import MAXSHORTSTR, shortenstring
from monomail.log.writer import LOG_INFO, LOG_NOTICE, MailLog
from monomail.queue.qfcodec import Envelope
from monomail.smtpd import replies
from monomail.smtpd.features import ServerFeatures, default_features
from monomail.smtpd.hooks import Hooks, SessionInfo
from monomail.smtpd.policy import Client, Daemon, Policy
from monomail.smtpd.reader import MAXLINE, DataReader, LineTooLong, take_line
from monomail.smtpd.settings import MAX_BAD_COMMANDS, Runtime

if TYPE_CHECKING:
    from monomail.maps.hostlookup import HostLookup
    from monomail.smtpd.transaction import Transaction

log = logging.getLogger("monomail.smtpd")

MAXINPLINE = 12288          # sendmail's longest line for AUTH exchanges
MAXTIMEOUT = 4 * 60         # longest tarpit pause
MAXSHIFT = 8
HTTP_COMMANDS = ("GET", "POST", "CONNECT", "USER")
NULL_SERVER_COMMANDS = frozenset({"quit", "helo", "ehlo", "noop", "rset", ""})


@dataclass(frozen=True)
class MessageReady:
    """The data is in and every check passed: run accept_message, then call
    message_done() with its queue id or its refusal."""

    info: SessionInfo
    envelope: Envelope
    data: bytes


@dataclass(frozen=True)
class Pause:
    """Wait this long before resume(); a greeting pause ends early when the client
    talks (which is then held against it)."""

    seconds: float
    greeting: bool = False


Handler = Callable[["Session", str, str], None]


class Session:
    """The protocol state of one connection."""

    def __init__(self, runtime: Runtime, client: Client, daemon: Daemon, hooks: Hooks,
                 *, hosts: "HostLookup | None" = None, local_submission: bool = False,
                 maillog: MailLog | None = None) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.hooks = hooks
        self.client = client
        self.daemon = daemon
        self.local_submission = local_submission     # -bs: no check_relay
        self.maillog = maillog
        self.policy = Policy(runtime, client, daemon, self.rule_error, hosts, self.syslog)
        self.features: ServerFeatures = default_features(self.settings, daemon.modifiers)
        self.nullserver: str | None = None
        self.hostname = self.policy.macro("j") or "localhost"
        self.gothello = False
        self.helo: str | None = None
        self.protocol: str | None = None
        self.transaction: Transaction | None = None
        self.asked = False          # MAIL, EXPN, VRFY or ETRN was used (for the log)
        self.verbose = False
        self.last_command: str | None = None
        self.counters: dict[str, int] = {}
        self.waiting: MessageReady | Pause | None = None
        self.closed = False
        self.data_reader: DataReader | None = None
        self.connection_discard = False   # check_relay chose $#discard: every message
        self.may_run_queue = not local_submission or os.getuid() == 0
        self._in = bytearray()
        self._out: list[str | Pause] = []
        self._pauses = 0
        self._first = True
        self.greeted = False
        self._errors = 0
        self._held: str | None = None
        self._holding = False

    # ------------------------------------------------------------------ output
    def syslog(self, threshold: int, text: str, priority: int = LOG_INFO,
               qid: str | None = None) -> None:
        """sendmail's `if (LogLevel > threshold) sm_syslog(priority, qid, text)`."""
        if self.maillog is not None and self.maillog.enabled(threshold):
            self.maillog.log(priority, qid, text)

    @property
    def client_label(self) -> str:
        """CurSmtpClient: $_, as replies and logs name the client."""
        return self.policy.macro("_") or self.client.peer_name

    def reply(self, text: str, to: str | None = None) -> None:
        """sendmail's message(): shown always, no enhanced code made up."""
        line = replies.message(text, to, self.settings.soft_bounce)
        if line[0] != "0" or self.verbose:
            self._out.append(line)

    def error(self, text: str, to: str | None = None) -> None:
        """sendmail's usrerr(): only the first error of a command is shown; while
        errors are buffered (DATA) the last one is kept, a 4xx never replacing a 5xx."""
        line = replies.usrerr(text, to, self.settings.soft_bounce)
        self._errors += 1
        if self._holding:
            if not (self._held and self._held[0] == "5" and line[0] == "4"):
                self._held = line
        elif self._errors == 1:
            self._out.append(line)

    def rule_error(self, text: str, to: str | None) -> None:
        """The sink of the rewriting environment: $#error and parse errors."""
        self.error(text, to)

    @property
    def failed(self) -> bool:
        """sendmail's Errors > 0 for the command being processed."""
        return self._errors > 0

    def hold_errors(self) -> None:
        """buffer_errors(): from here on only one error reply, given by flush_errors()."""
        self._holding, self._held = True, None

    def take_held(self) -> str | None:
        """End buffering and return the buffered error instead of showing it."""
        held, self._holding, self._held = self._held, False, None
        return held

    def flush_errors(self) -> None:
        if self._held:
            self._out.append(self._held)
        self._holding, self._held = False, None

    def pause(self, seconds: float, greeting: bool = False) -> None:
        """Stop here for a while: later replies and input wait until resume()."""
        if seconds > 0:
            self._out.append(Pause(seconds, greeting))
            self._pauses += 1

    def close(self) -> None:
        if not self.closed and not self.asked and self.nullserver is None:
            self.syslog(5, f"{self.client_label} did not issue MAIL/EXPN/VRFY/ETRN during "
                           f"connection to {self.daemon.name or 'stdin'}")
        self.closed = True

    def outgoing(self) -> bytes:
        """Replies ready to be written, up to a pause; a pause becomes `waiting`."""
        lines: list[str] = []
        while self._out:
            item = self._out.pop(0)
            if isinstance(item, Pause):
                self.waiting = item
                self._pauses -= 1
                break
            lines.append(item + "\r\n")
        return "".join(lines).encode("latin-1")

    # ------------------------------------------------------------------ driving
    @property
    def read_timeout(self) -> float:
        """Timeout.command between commands, Timeout.datablock inside DATA."""
        if self.data_reader is not None:
            return float(self.settings.datablock_timeout)
        return float(self.settings.command_timeout)

    def start(self) -> None:
        """Connection set up: check_relay, srv_features, greet_pause, the greeting."""
        hello.begin(self)

    def receive(self, data: bytes) -> None:
        """Bytes from the client; b"" is the end of input."""
        if self.closed:
            return
        if not data:
            self._lost("unexpected close")
            return
        self._in += data
        self._run()

    def resume(self) -> None:
        """A pause is over (or the client talked during the greeting pause)."""
        pause, self.waiting = self.waiting, None
        if isinstance(pause, Pause) and pause.greeting and not self.greeted:
            hello.greet(self, early=bool(self._in))
        self._run()

    def message_done(self, qid: str | None, refusal: str | None = None) -> None:
        """accept_message finished: say 250 with the queue id, or the refusal."""
        self.waiting = None
        transaction.finish_message(self, qid, refusal)
        self._run()

    def timed_out(self) -> None:
        """No input within read_timeout: sendmail gives up on the client."""
        self._lost("read timeout")

    def _lost(self, problem: str) -> None:
        if self.data_reader is not None:
            transaction.data_lost(self, problem)
        else:
            # sendmail's 421 "Lost input channel" goes to the transcript only: it has
            # already disconnected, so a silent client is just dropped
            self.syslog(1 if self.transaction is not None else 19,
                        f"lost input channel from {self.client_label} to "
                        f"{self.daemon.name or 'stdin'} after {self.last_command or 'startup'}",
                        LOG_NOTICE)
        self.close()

    def _run(self) -> None:
        while not self.closed and self.waiting is None and not self._pauses:
            if self.data_reader is not None:
                if not transaction.feed_data(self):
                    return
                continue
            if not self.greeted:
                return
            line = self._next_line()
            if line is None:
                return
            self.command(line)

    def _next_line(self) -> str | None:
        try:
            line = take_line(self._in, MAXINPLINE)
        except LineTooLong as exc:
            self._too_long(exc.args[0])
            return None
        if line is None:
            if len(self._in) > MAXLINE and self._in[:5].upper() != b"AUTH ":
                self._too_long(len(self._in))
            return None
        terminated = len(line) + 2
        if terminated > MAXLINE and line[:5].upper() != "AUTH ":
            self._too_long(terminated)
            return None
        return line

    def _too_long(self, length: int) -> None:
        self.reply(f"421 4.7.0 {self.hostname} Command too long, possible attack "
                   f"{self.client_label}")
        self.syslog(-1, f"{self.client_label}: SMTP violation, input too long: {length}")
        self.close()

    @property
    def exit_status(self) -> int:
        """sendmail's ExitStat at the end of -bs: the first hard status a rule set."""
        return self.policy.env.exit_status

    @property
    def buffered(self) -> int:
        """Input received but not yet processed."""
        return len(self._in)

    @property
    def input_pending(self) -> bool:
        """More input already arrived behind the current command (8.18's check that
        the client waited for the reply before sending more)."""
        return bool(self._in)

    def push_back(self, data: bytes) -> None:
        """Input that followed the end of the data: the next commands."""
        self._in[:0] = data

    def reset_errors(self) -> None:
        """A new reply outside any command (the answer to the data)."""
        self._errors, self._held, self._holding = 0, None, False

    def take_input(self) -> bytes:
        """What is buffered behind the DATA command: the start of the message."""
        data, self._in = bytes(self._in), bytearray()
        return data

    def info(self, snapshot: bool = False) -> SessionInfo:
        """What hooks learn about the session; macros are a live view unless a
        snapshot is asked for (a message handed over keeps the values of its DATA)."""
        view = self.policy.macro_view()
        return SessionInfo(self.client, self.daemon, self.helo, self.protocol or "SMTP",
                           view.snapshot() if snapshot else view)

    # ------------------------------------------------------------------ commands
    def command(self, line: str) -> None:
        """One command line, as smtp()'s loop handles it."""
        self.reset_errors()
        self.policy.new_command()
        line = line.split("\0", 1)[0]
        if self._http_probe(line):
            return
        stripped = line.lstrip(" \t\n\v\f\r")
        end = 0
        while end < len(stripped) and not stripped[end].isspace() and end < MAXLINE - 2:
            end += 1
        word, arg = stripped[:end], stripped[end:].lstrip(" \t\n\v\f\r")
        name = word.lower()
        self.last_command = name if name in COMMANDS else None
        self.asked = self.asked or name in ("mail", "expn", "vrfy", "etrn")
        handler = COMMANDS.get(name)
        if handler is None and name in UNIMPLEMENTED:
            handler = unimplemented
        if handler is None:
            handler, name = unknown, ""
        if self.nullserver is not None and name not in NULL_SERVER_COMMANDS:
            self._null_server_refusal(line)
            return
        handler(self, arg, line)

    def _http_probe(self, line: str) -> bool:
        """An open proxy relaying HTTP: dropped at the first line (always with H)."""
        if not (self._first or self.features.no_http):
            return False
        first, self._first = self._first, False
        for verb in HTTP_COMMANDS:
            n = len(verb)
            if line[:n].upper() == verb and (len(line) == n or line[n].isspace()):
                what = "Rejecting open proxy" if first else "HTTP command"
                self.reply(f"421 4.7.0 {self.hostname} {what} {self.client_label}")
                self.syslog(-1, f"{self.client_label}: probable open proxy: "
                                f"command={line[:40]}")
                self.close()
                return True
        return False

    def _null_server_refusal(self, line: str) -> None:
        if self.count("bad") > MAX_BAD_COMMANDS:
            self.drop_abuser()
            return
        text = self.nullserver or ""
        self.error(text if replies.is_reply(text) else f"550 5.0.0 {text}")

    def count(self, name: str) -> int:
        self.counters[name] = self.counters.get(name, 0) + 1
        return self.counters[name]

    def slow_down(self, counter: str, limit: int, now: bool = True) -> float | None:
        """sendmail's checksmtpattack: past `limit` uses of a command, pause longer and
        longer; with MaxDaemonChildren set, twice the limit ends the session (None).
        Returns the pause the caller still owes (now=False: VRFY/EXPN pay it later)."""
        if limit <= 0:
            return 0.0
        n = self.count(counter)
        if n < limit:
            return 0.0
        if n == limit and self.settings.log_level > 5:
            self.syslog(5, f"{self.client_label}: possible SMTP attack: "
                           f"command={counter.upper()}, count={n}")
        shift = n - limit
        wait = MAXTIMEOUT if shift > MAXSHIFT else min(1 << shift, MAXTIMEOUT)
        self.pause(n // limit)
        wait = max(0, min(wait - n // limit, MAXTIMEOUT))
        if now:
            self.pause(wait)
            wait = 0
        if self.settings.max_children > 0 and n >= limit * 2:
            self.drop_abuser()
            return None
        return float(wait)

    def drop_abuser(self) -> None:
        self.reply(f"421 4.7.0 {self.hostname} Too many bad commands; closing connection")
        self.close()

    def check_other(self, line: str, kind: str) -> bool:
        """check_other sees the commands it is told about (kind "2": NOOP, VERB) and
        unknown ones ("5"); its 421 ends the session.  False when it did."""
        before = len(self._out)
        self.policy.check_unstructured("check_other", line, kind)
        said = [item for item in self._out[before:] if isinstance(item, str)]
        if any(text.startswith("421") for text in said):
            self.close()
            return False
        return True


def shown(line: str) -> str:
    """A command line quoted in a reply (sendmail's SHOWSHRTCMDINREPLY)."""
    return shortenstring(line, MAXSHORTSTR)


def unknown(s: Session, arg: str, line: str) -> None:
    if s.count("bad") > MAX_BAD_COMMANDS:
        s.drop_abuser()
        return
    if s.check_other(line, "5"):
        s.error(f'500 5.5.1 Command unrecognized: "{shown(line)}"')


def unimplemented(s: Session, arg: str, line: str) -> None:
    if s.check_other(line, "5"):
        s.error(f'502 5.5.1 Command not implemented: "{shown(line)}"')


def quit_session(s: Session, arg: str, line: str) -> None:
    s.reply(f"221 2.0.0 {s.hostname} closing connection")
    s.close()


def reset(s: Session, arg: str, line: str) -> None:
    from monomail.smtpd.transaction import clear_state
    s.reply("250 2.0.0 Reset state")
    clear_state(s, "RSET")


from monomail.smtpd import hello, inquiry, transaction  # noqa: E402  (they use Session)

COMMANDS: dict[str, Handler] = {
        "mail": transaction.mail, "rcpt": transaction.rcpt, "data": transaction.data,
        "rset": reset, "vrfy": inquiry.vrfy, "expn": inquiry.expn, "help": inquiry.help,
        "noop": inquiry.noop, "quit": quit_session, "helo": hello.helo, "ehlo": hello.ehlo,
        "etrn": inquiry.etrn, "verb": inquiry.verb, "auth": inquiry.auth,
        "starttls": inquiry.starttls,
        # only to log door-handle rattling, then refused as unknown
        "showq": inquiry.bogus, "debug": inquiry.bogus, "wiz": inquiry.bogus,
}
UNIMPLEMENTED = frozenset({"send", "saml", "soml", "turn"})
