"""MAIL, RCPT and DATA: one mail transaction, in the order srvrsmtp.c checks it.

MAIL: sequence checks, the path, setsender's parse, the parameters, check_mail,
SIZE against MaxMessageSize, free space.  RCPT: the same for a recipient plus
check_rcpt and the recipient hook (aliases, unknown users).  DATA: check_data, 354,
the strict data reader, then check_eoh, the size, 8-bit and NUL rules and check_eom;
errors found while the data streams in are held and the last one is the answer,
as sendmail's buffer_errors() does.  Only then is the message handed to the
accept_message hook; 250 comes after it returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from monomail.clib import MAXSHORTSTR, shortenstring
from monomail.log.writer import LOG_NOTICE
from monomail.queue.ids import queue_id
from monomail.queue.qfcodec import Envelope, Recipient, check_address, check_recipient
from monomail.rewrite.addrutil import cataddr
from monomail.rewrite.parseaddr import Address
from monomail.smtpd.features import parameter_features
from monomail.smtpd.hooks import RecipientCheck
from monomail.smtpd.params import (MailParams, PathArgument, RcptParams, Refusal, check_size,
                                   parse_mail_parameters, parse_rcpt_parameters,
                                   split_mail, split_rcpt)
from monomail.smtpd.reader import BareLineEnd, DataReader, header_stats

if TYPE_CHECKING:
    from monomail.smtpd.session import Session

GO_AHEAD = "354 End data with <CR><LF>.<CR><LF>"
BAD_RCPT_DELAY = 1.0        # BadRcptThrottleDelay (not compiled into Debian's 8.17)


@dataclass
class Transaction:
    """What MAIL and RCPT have established."""

    sender_text: str               # the path as written: "<a@b>" (replies, logs)
    sender: str                    # for the queue: without brackets, "" for <>
    address: Address
    params: MailParams
    recipients: list[Recipient] = field(default_factory=list)
    seen: dict[tuple[str, str | None, str], str] = field(default_factory=dict)
    accepted: int = 0              # RCPT commands answered 250, duplicates included


def envelope_address(path: PathArgument, table: tuple[int, ...]) -> str:
    """The address the queue keeps: the tokens inside the angle brackets (all of them
    if there are none), joined as sendmail's cataddr joins them; "" for <>."""
    tokens = list(path.tokens or ())
    if path.null or not tokens:
        return ""
    if "<" in tokens:
        start = tokens.index("<") + 1
        end = len(tokens) - tokens[::-1].index(">") - 1 if ">" in tokens[start:] else len(tokens)
        tokens = tokens[start:end]
    return cataddr(tokens, " ", False, table)


def _refused(s: "Session", result: object) -> bool:
    if isinstance(result, Refusal):
        s.error(str(result))
        return True
    return False


# ---------------------------------------------------------------------- MAIL

def _mail_out_of_place(s: "Session") -> str | None:
    """What MAIL may not do at this point of the session."""
    if not s.gothello and "needmailhelo" in s.settings.privacy:
        return "503 5.0.0 Polite people say HELO first"
    if s.transaction is not None:
        return "503 5.5.0 Sender already specified"
    if s.features.require_auth:
        return "530 5.7.0 Authentication required"
    return None


def mail(s: "Session", arg: str, line: str) -> None:
    refusal = _mail_out_of_place(s)
    if refusal:
        s.error(refusal)
        return
    pf = parameter_features(s.features, s.settings)
    path = split_mail(arg, pf)
    if _refused(s, path):
        return
    assert isinstance(path, PathArgument)
    s.policy.define("r", s.protocol or "SMTP")
    s.policy.define("s", s.helo or s.client.peer_name)
    s.counters["rcpt"] = s.counters["badrcpt"] = 0
    for name in ("ntries", "nrcpts", "nbadrcpts"):
        s.policy.define(name, "0")
    address = s.policy.parse_sender(path.address)
    if address is None or s.failed:
        return
    s.policy.triple_macros("mail", address)
    params = parse_mail_parameters(path.parameters, pf)
    if _refused(s, params):
        return
    assert isinstance(params, MailParams)
    _mail_parameter_macros(s, params)
    if params.smtputf8:
        s.protocol = "UTF8SMTP"
        s.policy.define("r", s.protocol)
    if not s.policy.check_address("check_mail", path.address, "e s") or s.failed:
        return
    too_big = check_size(params, s.settings.max_message_size)
    if _refused(s, too_big):
        return
    if not s.hooks.has_room(params.size or 0):
        s.error("452 4.4.5 Insufficient disk space; try again later")
        return
    sender = envelope_address(path, s.policy.env.tables.internal)
    try:
        check_address(sender, "sender")
    except ValueError:
        s.error("553 5.1.7 Sender address cannot be queued", path.address)
        return
    s.transaction = Transaction(path.address, sender, address, params)
    s.reply("250 2.1.0 Sender ok", path.address)


def _mail_parameter_macros(s: "Session", params: MailParams) -> None:
    if params.size is not None:
        s.policy.define("msg_size", str(params.size))
    s.policy.define("dsn_envid", params.envid)
    s.policy.define("dsn_ret", params.ret)


# ---------------------------------------------------------------------- RCPT

def rcpt(s: "Session", arg: str, line: str) -> None:
    s.policy.triple_macros("rcpt", None)
    throttle = s.settings.bad_rcpt_throttle
    bad = s.counters.get("badrcpt", 0)
    if throttle > 0 and bad >= throttle:
        if bad == throttle:
            s.syslog(5, f"{s.client_label}: Possible SMTP RCPT flood, throttling.")
            s.counters["badrcpt"] = bad + 1
        s.pause(BAD_RCPT_DELAY)
    txn = s.transaction
    if txn is None:
        s.error("503 5.0.0 Need MAIL before RCPT")
        return
    try:
        _recipient(s, txn, arg)
    finally:
        s.policy.triple_macros("rcpt", None)
        s.policy.define("dsn_notify", None)
        if s.failed:
            s.counters["badrcpt"] = s.counters.get("badrcpt", 0) + 1
            bad = s.counters["badrcpt"]
            shown = bad - 1 if throttle > 0 and bad > throttle else bad
            s.policy.define("nbadrcpts", str(shown))


def _recipient(s: "Session", txn: Transaction, arg: str) -> None:
    limit = s.settings.max_recipients
    if limit > 0 and txn.accepted >= limit:
        s.error("452 4.5.3 Too many recipients")
        return
    pf = parameter_features(s.features, s.settings)
    path = split_rcpt(arg, pf)
    if _refused(s, path):
        return
    assert isinstance(path, PathArgument)
    address = s.policy.parse_recipient(path.address)
    if s.failed:
        return
    if address is None:
        s.error("501 5.0.0 Missing recipient")
        return
    s.policy.triple_macros("rcpt", address)
    params = parse_rcpt_parameters(path.parameters, pf)
    if _refused(s, params):
        return
    assert isinstance(params, RcptParams)
    if params.notify:
        s.policy.define("dsn_notify", ",".join(params.notify))
    if not s.policy.check_address("check_rcpt", path.address, "e r") or s.failed:
        return
    key = (address.mailer, address.host.lower() if address.host else None, address.user)
    first = txn.seen.get(key)
    if first is not None:
        _accepted(s, txn, first, address.queue_up)
        return
    queue = _verified(s, txn, path, address, params)
    if queue is None:
        return
    recipient = Recipient(envelope_address(path, s.policy.env.tables.internal),
                          notify=params.notify,
                          orcpt=str(params.orcpt) if params.orcpt else None)
    try:
        check_recipient(recipient)
    except ValueError:
        s.error("553 5.1.3 Recipient address cannot be queued", path.address)
        return
    txn.recipients.append(recipient)
    txn.seen[key] = path.address
    _accepted(s, txn, path.address, queue)


def _verified(s: "Session", txn: Transaction, path: PathArgument, address: Address,
              params: RcptParams) -> bool | None:
    """The recipient hook's verdict: None if it refused, else whether delivery will
    be from the queue.  A discarded transaction is not looked at (as sendmail)."""
    if s.policy.discard:
        return address.queue_up
    check = RecipientCheck(path.address, address, "rcpt", params, txn.sender)
    answer = s.hooks.recipient(s.info(), check)
    if answer.error:
        s.error(answer.error, path.address)
        return None
    return answer.queue


def _accepted(s: "Session", txn: Transaction, shown: str, queue: bool) -> None:
    """250 for a recipient; a duplicate is named as it was first written, because
    sendmail's recipient() hands back the address it already has."""
    txn.accepted += 1
    s.policy.define("nrcpts", str(txn.accepted))
    s.reply("250 2.1.5 Recipient ok" + (" (will queue)" if queue else ""), shown)


# ---------------------------------------------------------------------- DATA

def data(s: "Session", arg: str, line: str) -> None:
    txn = s.transaction
    if txn is None:
        s.error("503 5.0.0 Need MAIL command")
        return
    if not txn.recipients:
        s.error("503 5.0.0 Need RCPT (recipient)")
        return
    if not s.policy.check_unstructured("check_data", str(len(txn.recipients)),
                                       strip_comments=True):
        return
    if s.features.no_stuffing and s.input_pending:
        s.error("554 5.5.0 SMTP protocol error")
        s.syslog(-1, f"{s.client_label}: SMTP protocol error: data sent before the "
                     "DATA reply")
        s.close()
        return
    s.reply(GO_AHEAD)
    s.hold_errors()
    s.data_reader = DataReader(s.settings.max_message_size, s.features.bare_lf,
                               s.features.bare_cr)


def feed_data(s: "Session") -> bool:
    """Give the reader what arrived; True once the data ended and was judged."""
    reader = s.data_reader
    chunk = s.take_input()
    if reader is None or not chunk:
        return False
    try:
        rest = reader.feed(chunk)
    except BareLineEnd as exc:
        s.syslog(-1, f"{s.client_label}: {exc.reply[10:]}: session dropped "
                     "(srv_features g2/u2 would replace it by a blank)", LOG_NOTICE)
        s.data_reader = None
        s.take_held()
        s.reply(exc.reply)
        s.close()
        return False
    if rest is None:
        return False
    s.push_back(rest)
    end_of_data(s, reader)
    return True


def end_of_data(s: "Session", reader: DataReader) -> None:
    s.data_reader = None
    result = reader.result
    txn = s.transaction
    assert result is not None and txn is not None
    if result.normalized:
        s.syslog(-1, f"{s.client_label}: {result.normalized} bare CR/LF in message data "
                     "replaced by blanks")
    count, length = header_stats(result.data)
    limit = s.settings.max_headers_length
    if limit > 0 and length > limit:
        s.error(f"552 5.6.0 Headers too large ({limit} max)")
    s.policy.check_unstructured("check_eoh", str(count), str(length))
    if result.too_big:
        s.error("552 5.2.3 Message exceeds maximum fixed size "
                f"({s.settings.max_message_size})")
    body = txn.params.body
    if result.has_8bit and s.settings.eight_bit_mode == "s" and body != "8BITMIME":
        s.error("554 5.6.1 Eight bit data not allowed")
    if body == "8BITMIME" and not result.has_8bit:
        body = "7BIT"
    if result.has_nul and s.settings.reject_nul:
        s.error("554 5.6.1 NUL byte not allowed")
    s.policy.define("msg_size", str(result.size))
    s.policy.check_unstructured("check_eom", str(result.size))
    if s.failed:
        s.flush_errors()
        clear_state(s, "DATA")
        return
    s.take_held()
    if s.policy.discard:
        qid = queue_id()
        s.syslog(4, "discarded", qid=qid)
        s.reply(f"250 2.0.0 {qid} Message accepted for delivery")
        clear_state(s, "DATA")
        return
    envelope = Envelope(txn.sender, tuple(txn.recipients), envid=txn.params.envid,
                        ret=txn.params.ret, body_type=body or "7BIT",
                        macros=s.policy.persistent_macros())
    from monomail.smtpd.session import MessageReady
    s.waiting = MessageReady(s.info(snapshot=True), envelope, result.data)


def finish_message(s: "Session", qid: str | None, refusal: str | None) -> None:
    """The answer at the end of DATA; the accept hook logged the from= line."""
    if qid is not None and refusal is None:
        s.reply(f"250 2.0.0 {qid} Message accepted for delivery")
    else:
        s.reset_errors()
        s.error(refusal or "451 4.3.0 Temporary failure while queueing the message")
    clear_state(s, "DATA")


def data_lost(s: "Session", problem: str) -> None:
    """The client went away or fell silent in the middle of the data."""
    txn = s.transaction
    sender = txn.sender_text if txn is not None else ""
    s.data_reader = None
    s.take_held()
    s.reply(f"421 4.4.1 collect: relay={s.client.peer_name}, "
            f"from={shortenstring(sender, MAXSHORTSTR)}, info={problem}")
    s.syslog(0, f"collect: {problem} on connection from {s.client.peer_name[:100]}, "
                f"sender={shortenstring(sender, MAXSHORTSTR)}", LOG_NOTICE)
    s.transaction = None


def clear_state(s: "Session", command: str) -> None:
    """sendmail's CLEAR_STATE: the transaction is forgotten (HELO, EHLO, RSET, end of
    DATA); a discard decided at connect time stays."""
    s.transaction = None
    s.policy.define("nrcpts", "0")
    s.policy.discard = s.connection_discard
