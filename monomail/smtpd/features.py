"""What one session offers and enforces: sendmail's server features.

The defaults come from PrivacyOptions, SendMimeErrors, DeliverByMin and the
listener's modifiers, exactly as srvrsmtp.c computes them; then the cf's
srv_features ruleset may turn single features on (lower case) or off (upper case).
Besides sendmail 8.17's letters, 8.18's smuggling letters are read: f/F (client must
wait for the reply to EHLO, HELO and DATA before sending more), g/G/g2 (bare LF in
message data: refuse, accept, replace by a blank), u/U/u2 (the same for bare CR) and
o/O (only CR LF . CR LF ends the data: monomail never honours O, and says so).

monomail has no SASL and no TLS here, so AUTH and STARTTLS are never offered.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from monomail.smtpd.params import Features
from monomail.smtpd.reader import Bare
from monomail.smtpd.settings import SmtpSettings

# srv_features letters whose upper case turns the feature off
_TOGGLES = {"b": "verb", "d": "dsn", "e": "etrn", "h": "no_http", "i": "smtputf8",
            "l": "require_auth", "p": "pipelining", "x": "expn", "f": "no_stuffing"}
_IGNORED = {"a": "AUTH (no SASL)", "c": "AUTH security", "s": "STARTTLS (no TLS)",
            "v": "client certificates", "r": "client certificates"}


@dataclass(frozen=True)
class ServerFeatures:
    pipelining: bool = True
    expn: bool = True
    verb: bool = True
    dsn: bool = True
    etrn: bool = True
    smtputf8: bool = False
    require_auth: bool = False
    no_http: bool = False        # H: refuse HTTP commands at any time, not only first
    no_stuffing: bool = True     # 8.18's transaction stuffing check (F turns it off)
    bare_lf: Bare = Bare.REJECT
    bare_cr: Bare = Bare.REJECT
    tempfail: bool = False       # srv_features said "t": every command gets 450


def default_features(settings: SmtpSettings, modifiers: str) -> ServerFeatures:
    """srvrsmtp.c's initial feature set for a listener with these Modifier letters."""
    privacy = settings.privacy
    expn = "noexpn" not in privacy
    return ServerFeatures(
        expn=expn,
        verb=expn and "noverb" not in privacy,
        dsn="noreceipts" not in privacy and settings.send_mime_errors,
        etrn="noetrn" not in privacy and "E" not in modifiers,
        smtputf8=settings.smtputf8,
        require_auth="a" in modifiers,
        bare_lf=settings.bare_line_ends,
        bare_cr=settings.bare_line_ends,
    )


def apply_srv_features(features: ServerFeatures,
                       words: list[str] | None) -> tuple[ServerFeatures, list[str]]:
    """The letters srv_features returned ($# l E ...), and notes for the log about
    letters that are unknown or cannot be honoured."""
    notes: list[str] = []
    if not words:
        return features, notes
    if words[0][:4].lower() == "temp":
        return replace(features, tempfail=True), notes
    changes: dict[str, object] = {}
    for word in words:
        letter = word[:1]
        lower = letter.lower()
        on = letter == lower
        if lower in _TOGGLES:
            changes[_TOGGLES[lower]] = on
        elif lower in ("g", "u"):
            mode = Bare.REJECT if on else Bare.ACCEPT
            if on and word[1:] == "2":
                mode = Bare.NORMALIZE
            changes["bare_lf" if lower == "g" else "bare_cr"] = mode
        elif lower == "o":
            if not on:
                notes.append("srvfeatures: O refused: only CR LF . CR LF ends a message")
        elif lower in _IGNORED:
            notes.append(f"srvfeatures: {word} ignored: {_IGNORED[lower]} is not available")
        else:
            notes.append(f"srvfeatures: unknown feature {word}")
    if changes.get("expn") is False:
        changes.setdefault("verb", False)
    return replace(features, **changes), notes  # type: ignore[arg-type]


def parameter_features(features: ServerFeatures, settings: SmtpSettings) -> Features:
    """What the MAIL/RCPT parameter reader must accept for these features.

    SMTPUTF8 is an unknown keyword unless SmtpUTF8 is set, as in a sendmail built
    without EAI (Debian's), and offered when it is (as in one built with EAI)."""
    by_min = settings.deliver_by_min
    return Features(dsn=features.dsn, deliver_by_min=by_min if by_min >= 0 else None,
                    smtputf8=True if features.smtputf8 else None)


def ehlo_keywords(features: ServerFeatures, settings: SmtpSettings) -> list[str]:
    """The EHLO list in sendmail's order (after the hello line, before HELP)."""
    words = ["ENHANCEDSTATUSCODES"]
    if features.pipelining:
        words.append("PIPELINING")
    if features.expn:
        words.append("EXPN")
        if features.verb:
            words.append("VERB")
    words.append("8BITMIME")
    size = settings.max_message_size
    words.append(f"SIZE {size}" if size > 0 else "SIZE")
    if features.dsn:
        words.append("DSN")
    if features.smtputf8:
        words.append("SMTPUTF8")
    if features.etrn:
        words.append("ETRN")
    if settings.deliver_by_min > 0:
        words.append(f"DELIVERBY {settings.deliver_by_min}")
    elif settings.deliver_by_min == 0:
        words.append("DELIVERBY")
    words.append("HELP")
    return words


def greeting_lines(expanded: str, code: str) -> list[str]:
    """The greeting: "ESMTP" goes in after the first word; a multi-line greeting
    continues with "code-" lines, a leading blank of each dropped."""
    first, newline, rest = expanded.partition("\n")
    name, blank, tail = first.partition(" ")
    lines = [f"{name} ESMTP{blank}{tail}"]
    if newline:
        for line in rest.split("\n"):
            lines.append(line[1:] if line[:1].isspace() else line)
    return [f"{code}{'-' if i < len(lines) - 1 else ' '}{text}"
            for i, text in enumerate(lines)]
