"""Delivery status notifications (RFC 3464) in sendmail 8.17's shape: values in, bytes out.

The layout, wording and field order are those of savemail.c (returntosender, errbody), so
that people, scripts and bounce processors written against sendmail read monomail's
reports unchanged: a multipart/report with a text part ("The original message was
received at ..."), a message/delivery-status part, and the returned message
(message/rfc822) or its header (text/rfc822-headers).

Which recipients appear, in which section and with which Action follows errbody's rules
from each recipient's Outcome and NOTIFY; which reports are sent at all, and to whom, is
policy.py's business.  The builder produces the fields sendmail adds itself (To,
MIME-Version, Content-Type, Subject, Auto-Submitted) and the body; Date, From and
Message-Id come from the cf's H lines when the report is submitted like any message
(REPORT_MACROS gives the macros they expand with), or from default_leading_headers().

Two deliberate departures from sendmail: several report recipients share one To: field
(sendmail writes one To: per address, which RFC 5322 forbids), and a decoded ORCPT or
ENVID that would put control characters (or, without SMTPUTF8, non-ASCII) into the
report is shown as the xtext it arrived as.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass
from typing import Iterable, Sequence

from monomail.arpadate import arpadate
from monomail.clib import MAXSHORTSTR, shortenstring
from monomail.dsn import xtext
from monomail.dsn.causes import exit_text

REPORTER = "MAILER-DAEMON"                  # $n: the report's sender, null on the envelope
REPORTER_NAME = "Mail Delivery Subsystem"   # $x while the report's headers are expanded
#: Macros returntosender sets for the report's envelope ($r, $s, $_, $x).
REPORT_MACROS = (("r", ""), ("s", "localhost"), ("_", "localhost"), ("x", REPORTER_NAME))
MAX_BOUNDARY = 70                           # RFC 2046 section 5.1.1


class Outcome(enum.Enum):
    """What has become of one recipient, in the terms errbody reports it."""

    FAILED = "failed"                       # permanent failure or expired (QS_BADADDR)
    QUEUED = "queued"                       # still to be tried, nothing to say yet
    DELAYED = "delayed"                     # still queued, and now due a warning (policy.plan)
    SENT = "sent"                           # handed on; the next hop reports from here
    DELIVERED = "delivered"                 # into a mailbox or program (a local mailer)
    DELIVERED_TO_LIST = "delivered-to-list"  # into a list with an owner- alias
    RELAYED = "relayed"                     # handed to a next hop that cannot do DSN
    EXPANDED = "expanded"                   # alias or .forward expanded to several


@dataclass(frozen=True)
class MailerTypes:
    """A mailer's T= triple: how reports name its hosts, addresses and diagnostics."""

    mta: str = "dns"
    address: str = "rfc822"
    diagnostic: str = "smtp"


@dataclass(frozen=True)
class RecipientStatus:
    """One recipient of the original message as the report sees it.

    address: as the sender wrote it (sendmail's q_paddr), shown in the text part.
    final_recipient: "RFC822; bob@example.org", made once when the recipient was
    accepted (final_recipient()).  notify: () when NOTIFY was not given, else as in the
    queue.  orcpt: "rfc822;xtext" as received.  diagnostic: the reply of the remote end
    ("550 5.1.1 <bob@...>... User unknown") or, for X-Unix mailers, the exit number.
    actual_recipient: what the mailer was given (actual_recipient()), shown when it
    differs from the final recipient.  primary: given by the sender rather than found
    by alias expansion; only primaries are reported for anything but failure.
    """

    address: str
    outcome: Outcome
    final_recipient: str
    notify: tuple[str, ...] = ()
    orcpt: str | None = None
    status: str | None = None
    diagnostic: str | None = None
    remote_mta: str | None = None
    actual_recipient: str | None = None
    types: MailerTypes = MailerTypes()
    last_attempt: float | None = None
    expanded_from: str | None = None
    primary: bool = True

    def wants(self, event: str) -> bool:
        """NOTIFY asks for `event` (SUCCESS, FAILURE, DELAY); absent means FAILURE,DELAY."""
        if not self.notify:
            return event != "SUCCESS"
        return event in self.notify


@dataclass(frozen=True)
class OriginalMessage:
    """The message reported on.  data: header, blank line and body as it would be
    delivered (None when no data file exists).  received_from: sendmail's $_
    ("localhost [127.0.0.1]", "joe@localhost").  client_host: the SMTP client's name
    (Received-From-MTA), None for local submissions.  envid: ENVID as received (xtext)."""

    qid: str
    arrival: float
    received_from: str
    data: bytes | None
    envid: str | None = None
    client_host: str | None = None
    client_types: MailerTypes = MailerTypes()
    smtputf8: bool = False


@dataclass(frozen=True)
class ReportRequest:
    """Everything one report says.  message: sendmail's e_message, which chooses the
    Subject ("Warning: ..." for delays, "Return receipt", anything else a failure).
    postmaster: a copy or double bounce for the postmaster (RTSF_PM_BOUNCE).
    transcript: the session transcript (None: unavailable).  return_body: RET=FULL and
    nothing forbids it (return_body() in policy.py).  retry_until: arrival plus
    Timeout.queuereturn, shown for delayed recipients."""

    report_id: str
    hostname: str
    to: tuple[str, ...]
    message: str
    original: OriginalMessage
    recipients: tuple[RecipientStatus, ...]
    transcript: str | None
    now: float
    return_body: bool = True
    postmaster: bool = False
    retry_until: float | None = None
    error_header: str | None = None
    show_actual_recipient: bool = True


@dataclass(frozen=True)
class Report:
    """A built report: the fields returntosender adds, in its order, and the body."""

    headers: tuple[tuple[str, str], ...]
    body: bytes
    kind: str                               # the Auto-Submitted reason, e.g. "failure"
    boundary: str

    def as_bytes(self, leading: Sequence[tuple[str, str]] = ()) -> bytes:
        """The whole message, after `leading` fields (Received, Date, From, Message-Id)."""
        fields = [*leading, *self.headers]
        head = "".join(f"{name}: {value}\n" for name, value in fields)
        return _encode(head) + b"\n" + self.body


# --- recipient names --------------------------------------------------------------------

def unbracketed(address: str) -> str:
    """The address inside a pair of angle brackets, or as it is."""
    stripped = address.strip()
    if stripped.startswith("<") and stripped.endswith(">"):
        return stripped[1:-1]
    return address


def _dsn_type(address_type: str, address: str) -> str:
    """sendmail's dsntypename: rfc822 in lower case, utf-8 for a non-ASCII address."""
    if address_type.lower() != "rfc822":
        return address_type
    return "rfc822" if address.isascii() else "utf-8"


def final_recipient(user: str, printable: str, hostname: str,
                    sender_address_type: str = "rfc822",
                    mailer_address_type: str = "rfc822") -> str:
    """Final-Recipient as recipient.c makes it when a recipient is accepted: the
    sender's mailer's address type, then the rewritten user if it has a domain, else
    the address as written without its brackets, else user@$j."""
    kind = sender_address_type
    if kind.lower() == "rfc822" and not user.isascii():
        kind = "utf-8"
    if kind.lower() not in ("rfc822", "utf-8"):
        return f"{mailer_address_type}; {user[:800]}"
    if "@" in user:
        return f"{kind}; {user[:800]}"
    if "@" in printable:
        return f"{kind}; {unbracketed(printable)[:800]}"
    return f"{kind}; {user[:700]}@{hostname[:100]}"


def actual_recipient(user: str, types: MailerTypes, hostname: str) -> str:
    """The address the mailer was given, as X-Actual-Recipient shows it."""
    kind = _dsn_type(types.address, user)
    if types.address.lower() == "rfc822" and "@" not in user:
        return f"{kind}; {user[:700]}@{hostname[:100]}"
    return f"{kind}; {user[:800]}"


# --- building -----------------------------------------------------------------------------

_SUBJECTS = (
    # (prefix or exact text, exact?, Auto-Submitted reason); first match wins
    ("Warning:", False, "warning-timeout"),
    ("Postmaster warning:", False, "postmaster-warning"),
    ("Return receipt", True, "return-receipt"),
)
_FAILURE_SUBJECT = "Returned mail: see transcript for details"
_POSTMASTER_SUBJECT = "Postmaster notify: see transcript for details"
_BANNER = (
    "    **********************************************",
    "    **      THIS IS A WARNING MESSAGE ONLY      **",
    "    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **",
    "    **********************************************",
)
_SUCCESS_TEXT = {
    Outcome.RELAYED: "relayed to non-DSN-aware mailer",
    Outcome.DELIVERED: "successfully delivered to mailbox",
    Outcome.DELIVERED_TO_LIST: "successfully delivered to mailing list",
    Outcome.EXPANDED: "expanded by alias",
}
_ACTIONS = {
    Outcome.FAILED: "failed",
    Outcome.DELAYED: "delayed",
    Outcome.DELIVERED: "delivered (to mailbox)",
    Outcome.DELIVERED_TO_LIST: "delivered (to mailing list)",
    Outcome.RELAYED: "relayed (to non-DSN-aware mailer)",
    Outcome.EXPANDED: "expanded (to multi-recipient alias)",
}
# Outcomes sendmail marks only when the sender asked for SUCCESS (QDELIVERED, QRELAYED)
_ONLY_ON_SUCCESS = (Outcome.DELIVERED, Outcome.RELAYED)
_DEFAULT_STATUS = {Outcome.FAILED: "5.0.0", Outcome.QUEUED: "4.0.0", Outcome.DELAYED: "4.0.0",
                   Outcome.DELIVERED: "2.1.5"}


def subject_and_kind(message: str, postmaster: bool) -> tuple[str, str]:
    """returntosender's choice of Subject and Auto-Submitted reason."""
    for text, exact, kind in _SUBJECTS:
        if message == text if exact else message.startswith(text):
            return _clean(message), kind
    if postmaster:
        return _POSTMASTER_SUBJECT, "postmaster-notification"
    return _FAILURE_SUBJECT, "failure"


def build(request: ReportRequest) -> Report:
    """The report for `request`, as sendmail's returntosender and errbody write it."""
    subject, kind = subject_and_kind(request.message, request.postmaster)
    original = request.original
    data = None if original.data is None else original.data.replace(b"\r\n", b"\n")
    returned = _returned_parts(data, request.return_body)
    text = _text_part(request, subject, kind)
    status = _status_part(request)
    boundary = _boundary(request, [returned[1], _encode("\n".join(text + status))])
    top_encoding = _transfer_encoding(data)
    lines = ["This is a MIME-encapsulated message", "", f"--{boundary}", "", *text,
             "", f"--{boundary}", f"Content-Type: {_status_type(original)}", "", *status, ""]
    body = _encode("\n".join(lines) + "\n")
    if data is not None:
        body += _returned_block(boundary, original, returned, top_encoding)
    body += _encode(f"\n--{boundary}--\n\n")
    if top_encoding is None and not body.isascii():
        top_encoding = "8bit"
    headers = [("To", ", ".join(_clean(a) for a in request.to)),
               ("MIME-Version", "1.0"),
               ("Content-Type", "multipart/report; report-type=delivery-status;\n"
                                f'\tboundary="{boundary}"')]
    if top_encoding is not None:
        headers.append(("Content-Transfer-Encoding", top_encoding))
    headers += [("Subject", subject), ("Auto-Submitted", f"auto-generated ({kind})")]
    return Report(tuple(headers), body, kind, boundary)


def default_leading_headers(hostname: str, report_id: str,
                            now: float) -> tuple[tuple[str, str], ...]:
    """Date, From and Message-Id as sendmail's usual cf H lines make them for a report,
    for callers that submit the report without running the cf's header definitions."""
    stamp = time.strftime("%Y%m%d%H%M", time.gmtime(now))     # $t is UTC (settime)
    return (("Date", arpadate(now)),
            ("From", f"{REPORTER_NAME} <{REPORTER}@{hostname}>"),
            ("Message-Id", f"<{stamp}.{report_id}@{hostname}>"))


# --- the text part ---------------------------------------------------------------------------

def _text_part(request: ReportRequest, subject: str, kind: str) -> list[str]:
    original = request.original
    postmaster_copy = subject.startswith("Postmaster ")
    receipt = kind == "return-receipt"
    failed = any(r.outcome is Outcome.FAILED for r in request.recipients)
    lines = list(_BANNER) + [""] if not (postmaster_copy or failed or receipt) else []
    lines += [f"The original message was received at {arpadate(original.arrival)}",
              f"from {original.received_from}"]
    if postmaster_copy:
        lines.append(f"with id {original.qid}")
    lines.append("")
    if request.error_header is not None and not receipt:
        lines += [*request.error_header.rstrip("\n").split("\n"), ""]
    lines += _section("permanent fatal errors", _fatal_lines(request.recipients))
    lines += _section("successful delivery notifications", _success_lines(request.recipients))
    lines += _transcript_lines(request.transcript)
    return lines


def _section(what: str, entries: list[str]) -> list[str]:
    title = f"   ----- The following addresses had {what} -----"
    return [title, *entries, ""] if entries else []


def _short(text: str) -> str:
    return shortenstring(_clean(text), MAXSHORTSTR)


def _expanded_from(recipient: RecipientStatus) -> list[str]:
    if recipient.expanded_from is None:
        return []
    return [f"    (expanded from: {_short(recipient.expanded_from)})"]


def _fatal_lines(recipients: Iterable[RecipientStatus]) -> list[str]:
    lines: list[str] = []
    for r in recipients:
        if r.outcome is not Outcome.FAILED or not r.wants("FAILURE"):
            continue
        lines.append(_short(r.address))
        if r.diagnostic is not None:
            lines.append(f"    (reason: {_short(exit_text(r.diagnostic))})")
        lines += _expanded_from(r)
    return lines


def _success_lines(recipients: Iterable[RecipientStatus]) -> list[str]:
    lines: list[str] = []
    for r in recipients:
        text = _SUCCESS_TEXT.get(r.outcome)
        if text is None or not r.primary or not r.wants("SUCCESS"):
            continue
        lines.append(f"{_short(r.address)}  ({text})")
        lines += _expanded_from(r)
    return lines


def _transcript_lines(transcript: str | None) -> list[str]:
    if transcript is None:
        return ["   ----- Transcript of session is unavailable -----"]
    if not transcript:
        return []
    return ["   ----- Transcript of session follows -----",
            *transcript.replace("\r\n", "\n").rstrip("\n").split("\n")]


# --- the delivery-status part -------------------------------------------------------------

def _status_type(original: OriginalMessage) -> str:
    return "message/global-delivery-status" if original.smtputf8 else "message/delivery-status"


def _status_part(request: ReportRequest) -> list[str]:
    original = request.original
    lines = []
    if original.envid is not None:
        lines.append(f"Original-Envelope-Id: {_decoded(original.envid, original.smtputf8)[:800]}")
    lines.append(f"Reporting-MTA: dns; {request.hostname[:800]}")
    if original.client_host is not None:
        host = _clean(original.client_host)[:800]
        lines.append(f"Received-From-MTA: {original.client_types.mta}; {host}")
    lines.append(f"Arrival-Date: {arpadate(original.arrival)}")
    for r in request.recipients:
        action = _action(r)
        if action is not None:
            lines += ["", *_recipient_fields(request, r, action)]
    return lines


def _action(r: RecipientStatus) -> str | None:
    """errbody's Action for a recipient, None when the recipient is left out."""
    if r.outcome is Outcome.FAILED:
        return "failed" if r.wants("FAILURE") else None     # RFC 3461 6.2.6 (b)
    if not r.primary or (r.outcome in _ONLY_ON_SUCCESS and not r.wants("SUCCESS")):
        return None
    return _ACTIONS.get(r.outcome)


def _recipient_fields(request: ReportRequest, r: RecipientStatus, action: str) -> list[str]:
    lines = []
    if r.orcpt is not None and ";" in r.orcpt:
        kind, _, value = r.orcpt.partition(";")
        lines.append(f"Original-Recipient: {_clean(kind)[:100]};"
                     f"{_decoded(value, request.original.smtputf8)[:700]}")
    final = _clean(r.final_recipient)
    lines.append(f"Final-Recipient: {final}")
    if (r.actual_recipient is not None and request.show_actual_recipient
            and _clean(r.actual_recipient) != final):
        lines.append(f"X-Actual-Recipient: {_clean(r.actual_recipient)}")
    lines.append(f"Action: {action}")
    lines.append(f"Status: {r.status or _DEFAULT_STATUS.get(r.outcome, '2.0.0')}")
    if r.remote_mta is not None:
        lines.append(f"Remote-MTA: {r.types.mta}; {_clean(r.remote_mta)[:800]}".removesuffix("."))
    if r.diagnostic is not None:
        lines.append(f"Diagnostic-Code: {r.types.diagnostic}; {_clean(r.diagnostic)[:800]}")
    last = request.now if r.last_attempt is None else r.last_attempt
    lines.append(f"Last-Attempt-Date: {arpadate(last)}")
    if r.outcome in (Outcome.DELAYED, Outcome.QUEUED) and request.retry_until is not None:
        lines.append(f"Will-Retry-Until: {arpadate(request.retry_until)}")
    return lines


def _decoded(value: str, smtputf8: bool) -> str:
    """xuntextify, kept as xtext when the decoded text would break the report."""
    try:
        text = xtext.decode_text(value, strict=False)
    except xtext.XtextError:
        return _clean(value)
    if not text.isprintable() or (not smtputf8 and not text.isascii()):
        return _clean(value)
    return text


# --- the returned message -----------------------------------------------------------------

def _returned_parts(data: bytes | None, with_body: bool) -> tuple[bool, bytes]:
    """(whether the body goes back, the bytes that go back)."""
    if data is None:
        return False, b""
    header, separator, body = data.partition(b"\n\n")
    if separator:
        header += b"\n"
    elif not header.endswith(b"\n"):
        header += b"\n"
    if not with_body:
        return False, header
    if body and not body.endswith(b"\n"):
        body += b"\n"
    return True, header + b"\n" + body


def _returned_block(boundary: str, original: OriginalMessage, returned: tuple[bool, bytes],
                    encoding: str | None) -> bytes:
    with_body, content = returned
    if original.smtputf8:
        content_type = "message/global" if with_body else "message/global-headers"
    else:
        content_type = "message/rfc822" if with_body else "text/rfc822-headers"
    lines = [f"--{boundary}", f"Content-Type: {content_type}"]
    if encoding is not None:
        lines.append(f"Content-Transfer-Encoding: {encoding}")
    return _encode("\n".join(lines) + "\n\n") + content


def _transfer_encoding(data: bytes | None) -> str | None:
    """returntosender's Content-Transfer-Encoding: the original's own if it is binary,
    else 8bit when the original has 8-bit octets (EF_HAS8BIT)."""
    if data is None:
        return None
    header = data.partition(b"\n\n")[0]
    for line in header.split(b"\n"):
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() == b"content-transfer-encoding":
            if value.strip().lower() == b"binary":
                return "binary"
    return None if data.isascii() else "8bit"


def _boundary(request: ReportRequest, contents: Sequence[bytes]) -> str:
    """sendmail's "qid.time/host", cut to RFC 2046's 70 characters and, should it occur
    in what it encloses, made unique with a counter."""
    base = f"{request.report_id}.{int(request.now)}/{request.hostname}"[:MAX_BOUNDARY]
    candidate, counter = base, 0
    while any(b"--" + candidate.encode() in content for content in contents):
        counter += 1
        suffix = f"={counter}"
        candidate = base[:MAX_BOUNDARY - len(suffix)] + suffix
    return candidate


# --- text helpers --------------------------------------------------------------------------

def _clean(text: str) -> str:
    """One line of report text: a control character (CR, LF from a remote reply or a
    decoded parameter) becomes a space, so nothing can start a field of its own."""
    return "".join(" " if ord(ch) < 32 or ord(ch) == 127 else ch for ch in text)


def _encode(text: str) -> bytes:
    """Report text as octets: UTF-8, with raw bytes kept (surrogateescape)."""
    return text.encode("utf-8", "surrogateescape")
