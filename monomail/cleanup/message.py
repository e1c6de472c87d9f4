"""A cleaned-up message: its header fields with their output conditions, its body,
and the facts about it that delivery needs (what sendmail keeps on the envelope)."""

from __future__ import annotations

from dataclasses import dataclass, field

from monomail.config.headerinfo import H_DEFAULT, SPACES
from monomail.rewrite.headers import HeaderField, dequote_internal_chars

BODY_TYPES = ("7BIT", "8BITMIME", "BINARYMIME")
TIMEOUT_CLASSES = ("normal", "urgent", "non-urgent", "dsn")


@dataclass
class Message:
    """Header fields in order (values in internal form, see rewrite.headers), the body
    (LF line ends, as collected), and sendmail's envelope flags about the content."""

    fields: list[HeaderField]
    body: bytes
    resent: bool = False  # EF_RESENT: a Resent- field was given; Resent- fields go out
    delete_bcc: bool = False  # EF_DELETE_BCC: Bcc: is dropped, not emptied, on output
    oldstyle: bool = False  # EF_OLDSTYLE: address fields are blank separated
    has_8bit: bool = False  # EF_HAS8BIT
    is_mime: bool = False  # EF_IS_MIME
    dont_mime: bool = False  # EF_DONT_MIME: an RFC 1049 Content-Type
    body_type: str | None = None  # MAIL BODY= / -B, corrected as collect() does
    hop_count: int = 0  # Received: and other trace fields (with our own)
    msgid: str | None = None  # Message-Id: (Resent-Message-Id: when resent)
    priority_class: int = 0  # the Precedence: value's P line number
    timeout_class: str = "normal"  # which Timeout.queuereturn.* / queuewarn.* apply
    size: int = 0  # octets collected (sendmail's e_msgsize)
    errors_to: list[str] = field(default_factory=list)  # Errors-To: with UseErrorsTo

    def value(self, name: str) -> str | None:
        """The first field of that name that is not a cf default, as written out
        (leading blanks dropped), like sendmail's hvalue."""
        key = name.lower()
        for h in self.fields:
            if h.key == key and not h.flags & H_DEFAULT:
                if h.value is None:
                    return None
                return dequote_internal_chars(h.value.lstrip(SPACES))
        return None
