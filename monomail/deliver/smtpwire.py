"""The SMTP client's protocol rules without any I/O (sendmail's usersmtp.c and putxline).

What goes on the wire (the DATA section, MAIL and RCPT parameters), what a reply means
(sysexits value and DSN status per command, as smtpmailfrom, smtprcptstat and smtpdata
decide), and the `stat=` text giveresponse makes of it.  smtpclient.py does the talking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monomail import sysexits as ex
from monomail.dsn.causes import smtp_to_dsn
from monomail.dsn.status import is_enhanced

from .outcome import delivered, stat_text as outcome_text
from .router import Envelope, Recipient

LINE_BREAK = re.compile(rb"\r\n|\r|\n")
NOTIFY_ORDER = ("SUCCESS", "FAILURE", "DELAY")


def data_section(message: bytes, linelimit: int = 0, escape_from: bool = False) -> bytes:
    """The DATA section for a message: every line break (CRLF, or a bare CR or LF, which
    could otherwise smuggle an end of data past a filter) becomes CRLF; lines longer than
    L= are broken as sendmail breaks them ("!" at the end, a space to continue); with
    F=E "From " lines become ">From "; leading dots are doubled; then the final ".".
    """
    data = LINE_BREAK.sub(b"\r\n", message)
    if data and not data.endswith(b"\r\n"):
        data += b"\r\n"
    if linelimit > 0 and re.search(rb"[^\r\n]{%d}" % (linelimit + 1), data):
        data = b"".join(_fold(line, linelimit) for line in data.split(b"\r\n")[:-1])
    if escape_from:
        data = re.sub(rb"(?m)^From ", b">From ", data)
    if data.startswith(b"."):
        data = b"." + data
    return data.replace(b"\r\n.", b"\r\n..") + b".\r\n"


def _fold(line: bytes, limit: int) -> bytes:
    """putxline's overflow: pieces ending in "!", continuation lines starting with a space."""
    out = []
    slop = 0
    while len(line) + slop > limit:
        cut = limit - slop - 1
        out.append((b" " if slop else b"") + line[:cut] + b"!\r\n")
        line = line[cut:]
        slop = 1
    out.append((b" " if slop else b"") + line + b"\r\n")
    return b"".join(out)


@dataclass(frozen=True)
class Reply:
    """A server reply: its code and the text of each line (aiosmtplib joins them by \\n)."""

    code: int
    lines: tuple[str, ...]

    @classmethod
    def of(cls, code: int, message: str) -> "Reply":
        return cls(code, tuple(message.split("\n")) if message else ("",))

    @property
    def line(self) -> str:
        """The first line as sendmail keeps it (SmtpReplyBuffer): "550 5.1.1 text"."""
        return f"{self.code} {self.lines[0]}".rstrip()

    @property
    def kind(self) -> int:
        return self.code // 100

    def enhanced(self) -> str | None:
        """The RFC 3463 code the first line starts with, if any."""
        word, sep, _ = self.lines[0].partition(" ")
        return word if sep and is_enhanced(word) else None

    def text_after_codes(self, enhanced_ok: bool) -> str:
        """The text after the reply code (and after the enhanced code when the server
        announced ENHANCEDSTATUSCODES): what "Sent (...)" shows."""
        text = self.lines[0]
        if enhanced_ok and self.enhanced():
            return text.partition(" ")[2]
        return text

    def shown(self) -> list[str]:
        """The lines as the server sent them ("250-first", "250 last")."""
        last = len(self.lines) - 1
        return [f"{self.code}{'-' if i < last else ' '}{t}".rstrip()
                for i, t in enumerate(self.lines)]


def _status(reply: Reply, enhanced_ok: bool, default: str) -> str:
    code = reply.enhanced() if enhanced_ok else None
    return code or default


def mail_verdict(reply: Reply, enhanced_ok: bool) -> tuple[int, str]:
    """smtpmailfrom: (sysexits, status) for the reply to MAIL."""
    if reply.kind == 2:
        return ex.EX_OK, _status(reply, enhanced_ok, "2.0.0")
    if reply.kind == 4:
        return ex.EX_TEMPFAIL, _status(reply, enhanced_ok, smtp_to_dsn(reply.code))
    table = {501: (ex.EX_DATAERR, "5.5.2"), 553: (ex.EX_DATAERR, "5.1.3"),
             552: (ex.EX_UNAVAILABLE, "5.3.4")}
    if reply.code in table:
        rcode, default = table[reply.code]
        return rcode, _status(reply, enhanced_ok, default)
    if reply.kind == 5:
        return ex.EX_UNAVAILABLE, _status(reply, enhanced_ok, "5.0.0")
    return ex.EX_PROTOCOL, _status(reply, enhanced_ok, "5.5.1")


def rcpt_verdict(reply: Reply, enhanced_ok: bool) -> tuple[int, str]:
    """smtprcptstat: (sysexits, status) for the reply to one RCPT."""
    if reply.kind == 4:
        return ex.EX_TEMPFAIL, _status(reply, enhanced_ok, smtp_to_dsn(reply.code))
    if reply.kind == 2:
        return ex.EX_OK, _status(reply, enhanced_ok, smtp_to_dsn(reply.code))
    users = {550: "5.1.1", 551: "5.1.6", 553: "5.1.3"}
    if reply.code in users:
        return ex.EX_NOUSER, _status(reply, enhanced_ok, users[reply.code])
    if reply.kind == 5:
        return ex.EX_UNAVAILABLE, _status(reply, enhanced_ok, smtp_to_dsn(reply.code))
    return ex.EX_PROTOCOL, _status(reply, enhanced_ok, "5.5.1")


def data_verdict(reply: Reply, enhanced_ok: bool) -> tuple[int, str]:
    """smtpdata after the final dot: (sysexits, status)."""
    status = _status(reply, enhanced_ok, smtp_to_dsn(reply.code))
    if reply.kind == 4:
        return ex.EX_TEMPFAIL, status
    if reply.kind == 2:
        return ex.EX_OK, status
    if reply.kind == 5:
        return ex.EX_UNAVAILABLE, status
    return ex.EX_PROTOCOL, status


def stat_text(rcode: int, detail: str | None = None) -> str:
    """giveresponse's message: "Sent (detail)", "Deferred: detail", "Host unknown
    (detail)" or the sysexits words (the agents' texts, from deliver/outcome)."""
    if rcode == ex.EX_OK:
        return delivered(detail or "").text
    return outcome_text(rcode, detail or "")


def mail_command(sender: str, params: list[str]) -> str:
    """MAIL From:<sender> with parameters (a sender in angle brackets loses them first)."""
    if sender.startswith("<") and sender.endswith(">"):
        sender = sender[1:-1]
    return f"MAIL From:<{sender}>" + "".join(" " + p for p in params)


def rcpt_command(user: str, params: list[str]) -> str:
    return f"RCPT To:<{user}>" + "".join(" " + p for p in params)


def dsn_mail_parameters(envelope: Envelope) -> list[str]:
    """ENVID= and RET= for a peer that offers DSN."""
    params = []
    if envelope.envid is not None:
        params.append(f"ENVID={envelope.envid}")
    if envelope.ret is not None:
        params.append(f"RET={envelope.ret}")
    return params


def rcpt_parameters(recipient: Recipient, local_mailer: bool) -> list[str]:
    """NOTIFY= (for addresses the sender named, not for local mailers) and ORCPT=."""
    params = []
    if recipient.notify is not None and recipient.primary and not local_mailer:
        words = [w for w in NOTIFY_ORDER if w in recipient.notify]
        params.append("NOTIFY=" + (",".join(words) if words else "NEVER"))
    if recipient.orcpt is not None:
        params.append(f"ORCPT={recipient.orcpt}")
    return params


def needs_smtputf8(envelope: Envelope, sender: str, users: list[str]) -> bool:
    """The message or an address is not ASCII: the peer must offer SMTPUTF8."""
    return envelope.smtputf8 or not all(a.isascii() for a in (sender, *users))
