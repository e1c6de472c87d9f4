"""What sendmail knows about header fields by name (its HdrInfo table) and how it
splits a header line, shared by the cf's H lines, `-bt /header` and message intake."""

from __future__ import annotations

H_EOH = 0x00000001        # field terminates the header
H_RCPT = 0x00000002       # contains recipient addresses
H_DEFAULT = 0x00000004    # default from the cf: a value from the message replaces it
H_RESENT = 0x00000008     # a Resent- field
H_CHECK = 0x00000010      # emitted only when the mailer flags or macro say so
H_ACHECK = 0x00000020     # ditto, always
H_FORCE = 0x00000040      # kept even when a default exists
H_TRACE = 0x00000080      # trace information
H_FROM = 0x00000100       # a from-type field
H_RECEIPTTO = 0x00000400  # return receipt request
H_ERRORSTO = 0x00000800   # where errors go
H_CTE = 0x00001000        # Content-Transfer-Encoding
H_CTYPE = 0x00002000      # Content-Type
H_BCC = 0x00004000        # stripped before delivery
H_ENCODABLE = 0x00008000  # may be RFC 2047 encoded
H_STRIPCOMM = 0x00010000  # header check: strip comments
H_BINDLATE = 0x00020000   # macros expanded at delivery
H_USER = 0x00040000       # came from the user (message or SMTP), not the cf

_TRACE = H_TRACE | H_FORCE
HDR_INFO: dict[str, int] = {
    "resent-sender": H_FROM | H_RESENT, "resent-from": H_FROM | H_RESENT,
    "resent-reply-to": H_FROM | H_RESENT, "sender": H_FROM, "from": H_FROM,
    "reply-to": H_FROM, "errors-to": H_FROM | H_ERRORSTO, "full-name": H_ACHECK,
    "return-receipt-to": H_RECEIPTTO, "delivery-receipt-to": H_RECEIPTTO,
    "disposition-notification-to": H_FROM,
    "to": H_RCPT, "resent-to": H_RCPT | H_RESENT, "cc": H_RCPT,
    "resent-cc": H_RCPT | H_RESENT, "bcc": H_RCPT | H_BCC,
    "resent-bcc": H_RCPT | H_BCC | H_RESENT, "apparently-to": H_RCPT,
    "message-id": 0, "resent-message-id": H_RESENT, "message": H_EOH, "text": H_EOH,
    "date": 0, "resent-date": H_RESENT,
    "received": _TRACE, "x400-received": _TRACE, "via": _TRACE, "mail-from": _TRACE,
    "comments": H_FORCE | H_ENCODABLE, "return-path": H_FORCE | H_ACHECK | H_BINDLATE,
    "content-transfer-encoding": H_CTE, "content-type": H_CTYPE,
    "content-length": H_ACHECK, "subject": H_ENCODABLE,
    "x-authentication-warning": H_FORCE,
}
MAX_FIELD_NAME = 100
SPACES = " \t\n\r\x0b\x0c"


def header_flags(name: str) -> int:
    """The table's flags for a field name (0 for fields it does not know)."""
    return HDR_INFO.get(name.lower(), 0)


def split_header(line: str) -> tuple[str, str] | None:
    """(name, value) as dochompheader splits `line`; None is sendmail's syntax error.

    The name is printable ASCII up to white space or ':'; white space may stand
    before the colon; the value keeps its leading blanks."""
    end = 0
    while end < len(line) and "!" <= line[end] <= "~" and line[end] != ":":
        end += 1
    colon = end
    while colon < len(line) and line[colon] in SPACES:
        colon += 1
    if colon >= len(line) or line[colon] != ":" or end == 0:
        return None
    return line[:end], line[colon + 1:]
