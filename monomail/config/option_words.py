"""Option values that are lists of words or `key=value` items (readcf.c, daemon.c, alias.c).

PrivacyOptions, DontBlameSendmail, ResolverOptions, the SSL option lists, the
Daemon/ClientPortOptions items and AliasFile specs.  As in sendmail, one unknown word
is reported and the rest of the line still applies; a bad value for a known key refuses
the line.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Iterator, Mapping

from .option_values import Notes, delivery_mode, integer, modifiers, strtoul

_C_SPACE = " \t\n\v\f\r"
_C_PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

PRIVACY_FLAGS = ("public", "needmailhelo", "needexpnhelo", "needvrfyhelo", "noexpn",
                 "novrfy", "restrictexpand", "restrictmailq", "restrictqrun", "noetrn",
                 "noverb", "authwarnings", "noreceipts", "nobodyreturn", "goaway",
                 "noactualrecipient")
# goaway is sendmail's low sixteen flag bits (noreflection is not built into 8.17 here)
GOAWAY = frozenset({"needmailhelo", "needexpnhelo", "needvrfyhelo", "noexpn", "novrfy",
                    "authwarnings", "noverb"})

DONT_BLAME_FLAGS = (
    "safe", "assumesafechown", "groupwritabledirpathsafe", "groupwritableforwardfilesafe",
    "groupwritableincludefilesafe", "groupwritablealiasfile", "worldwritablealiasfile",
    "forwardfileinunsafedirpath", "includefileinunsafedirpath", "mapinunsafedirpath",
    "linkedaliasfileinwritabledir", "linkedclassfileinwritabledir",
    "linkedforwardfileinwritabledir", "linkedincludefileinwritabledir",
    "linkedmapinwritabledir", "linkedserviceswitchfileinwritabledir",
    "filedeliverytohardlink", "filedeliverytosymlink", "writemaptohardlink",
    "writemaptosymlink", "writestatstohardlink", "writestatstosymlink",
    "forwardfileingroupwritabledirpath", "includefileingroupwritabledirpath",
    "classfileinunsafedirpath", "errorheaderinunsafedirpath", "helpfileinunsafedirpath",
    "forwardfileinunsafedirpathsafe", "includefileinunsafedirpathsafe",
    "runprograminunsafedirpath", "runwritableprogram", "nonrootsafeaddr", "truststickybit",
    "dontwarnforwardfileinunsafedirpath", "insufficiententropy", "groupreadablesasldbfile",
    "groupwritablesasldbfile", "groupwritableforwardfile", "groupwritableincludefile",
    "worldwritableforwardfile", "worldwritableincludefile", "groupreadablekeyfile",
    "groupreadabledefaultauthinfofile")

# ResolverOptions: resolver flags (glibc's; use_inet6 is gone), plus sendmail's own two
RESOLVER_FLAGS = ("debug", "aaonly", "usevc", "primary", "igntc", "recurse", "defnames",
                  "stayopen", "dnsrch", "use_edns0", "use_dnssec", "trustad",
                  "HasWildcardMX", "WorkAroundBrokenAAAA")

SSL_OPTION_NAMES = tuple("SSL_OP_" + n for n in (
    "MICROSOFT_SESS_ID_BUG", "NETSCAPE_CHALLENGE_BUG", "LEGACY_SERVER_CONNECT",
    "NETSCAPE_REUSE_CIPHER_CHANGE_BUG", "SSLREF2_REUSE_CERT_TYPE_BUG",
    "MICROSOFT_BIG_SSLV3_BUFFER", "MSIE_SSLV2_RSA_PADDING", "SSLEAY_080_CLIENT_DH_BUG",
    "TLS_D5_BUG", "TLS_BLOCK_PADDING_BUG", "DONT_INSERT_EMPTY_FRAGMENTS", "ALL",
    "NO_QUERY_MTU", "COOKIE_EXCHANGE", "NO_TICKET", "CISCO_ANYCONNECT",
    "NO_SESSION_RESUMPTION_ON_RENEGOTIATION", "NO_COMPRESSION",
    "ALLOW_UNSAFE_LEGACY_RENEGOTIATION", "SINGLE_ECDH_USE", "SINGLE_DH_USE",
    "EPHEMERAL_RSA", "CIPHER_SERVER_PREFERENCE", "TLS_ROLLBACK_BUG", "NO_SSLv2",
    "NO_SSLv3", "NO_TLSv1", "NO_TLSv1_3", "NO_TLSv1_2", "NO_TLSv1_1", "PKCS1_CHECK_1",
    "PKCS1_CHECK_2", "NETSCAPE_CA_DN_BUG", "NETSCAPE_DEMO_CIPHER_CHANGE_BUG",
    "CRYPTOPRO_TLSEXT_BUG", "TLSEXT_PADDING", "NO_RENEGOTIATION", "NO_ANTI_REPLAY",
    "ALLOW_NO_DHE_KEX", "NO_ENCRYPT_THEN_MAC", "ENABLE_MIDDLEBOX_COMPAT",
    "PRIORITIZE_CHACHA"))


def _find(word: str, names: tuple[str, ...]) -> str | None:
    """The table's spelling of `word`, compared without regard to case."""
    lowered = word.lower()
    return next((n for n in names if n.lower() == lowered), None)


def alnum_words(raw: str) -> list[str]:
    """Split as the Op and DontBlameSendmail loops do: runs of letters and digits,
    with blanks and punctuation between them; the character ending a word is eaten."""
    words: list[str] = []
    i, n = 0, len(raw)
    while True:
        while i < n and (raw[i] in _C_SPACE or raw[i] in _C_PUNCT):
            i += 1
        if i >= n:
            return words
        j = i
        while j < n and raw[j].isascii() and raw[j].isalnum():
            j += 1
        words.append(raw[i:j])
        i = j + 1


def _known_words(raw: str, names: tuple[str, ...], complaint: str,
                 notes: Notes) -> Iterator[str]:
    """The table spelling of each word of `raw`; unknown ones are complained about."""
    for word in alnum_words(raw):
        name = _find(word, names)
        if name is None:
            notes.syserr(complaint.format(word))
        else:
            yield name


def privacy_options(raw: str, notes: Notes) -> frozenset[str]:
    """The flags named; goaway stands for its seven flags, public adds nothing."""
    flags: set[str] = set()
    for name in _known_words(raw, PRIVACY_FLAGS, "readcf: Op line: {} unrecognized", notes):
        if name == "goaway":
            flags |= GOAWAY
        elif name != "public":
            flags.add(name)
    return frozenset(flags)


def dont_blame_sendmail(raw: str, notes: Notes) -> frozenset[str]:
    """The flags named after the last "safe"; "safe" itself stays in to say that
    everything set before this line is cleared too."""
    flags: set[str] = set()
    for name in _known_words(raw, DONT_BLAME_FLAGS,
                             "readcf: DontBlameSendmail option: {} unrecognized", notes):
        flags = {"safe"} if name == "safe" else flags | {name}
    return frozenset(flags)


def signed_words(raw: str, ends: str) -> list[tuple[str, bool]]:
    """`[+|-]word ...`: blanks before a word are skipped, a word ends at one of `ends`
    (which is eaten); True unless the word had a minus in front."""
    found: list[tuple[str, bool]] = []
    i, n = 0, len(raw)
    while i < n:
        while i < n and raw[i] == " ":
            i += 1
        if i >= n:
            break
        clear = raw[i] == "-"
        i += raw[i] in "+-"
        start = i
        while i < n and raw[i] not in ends:
            i += 1
        found.append((raw[start:i], not clear))
        i += 1
    return found


def resolver_options(raw: str, notes: Notes) -> Mapping[str, bool]:
    """`[+|-]flag ...`, blank separated: True to set, False to clear; last one wins."""
    settings: dict[str, bool] = {}
    for word, setting in signed_words(raw, _C_SPACE):
        name = _find(word, RESOLVER_FLAGS)
        if name is not None:
            settings[name] = setting
        elif word.lower() != "true":
            notes.syserr(f"readcf: I option value {word} unrecognized")
    return MappingProxyType(settings)


def ssl_options(raw: str, notes: Notes) -> tuple[tuple[str | int, bool], ...]:
    """ServerSSLOptions/ClientSSLOptions: `[+|-]SSL_OP_name` or numbers, applied in order
    to the OpenSSL defaults; True sets the bits, False clears them."""
    steps: list[tuple[str | int, bool]] = []
    for word, setting in signed_words(raw, _C_SPACE + ","):
        value: str | int | None = strtoul(word) if word[:1].isdigit() else \
            _find(word, SSL_OPTION_NAMES)
        if value is None:
            notes.syserr(f"readcf: {notes.option} option value {word} unrecognized")
        else:
            steps.append((value, setting))
    return tuple(steps)


_PORT_KEYS = {"A": "Addr", "a": "Addr", "c": "children", "D": "DeliveryMode",
              "d": "delayLA", "F": "Family", "f": "Family", "I": "InputMailFilters",
              "i": "InputMailFilters", "L": "Listen", "l": "Listen", "M": "Modifier",
              "m": "Modifier", "N": "Name", "n": "Name", "P": "Port", "p": "Port",
              "q": "queueLA", "R": "RcvBufSize", "r": "refuseLA", "S": "SndBufSize",
              "s": "SndBufSize"}
_PORT_NUMBERS = ("children", "delayLA", "Listen", "queueLA", "RcvBufSize", "refuseLA",
                 "SndBufSize")
_FAMILIES = {"inet": "inet", "inet6": "inet6", "unix": "local", "local": "local"}


def port_options(raw: str, notes: Notes) -> Mapping[str, object]:
    """`Key=value, ...` of DaemonPortOptions/ClientPortOptions.  sendmail looks only at
    a key's first letter, so "Address", "Addr" and "A" are one key (and "Foo" is
    Family); the result uses the documented spelling of each key."""
    settings: dict[str, object] = {}
    for item in raw.split(","):
        item = item.lstrip(_C_SPACE)
        key_text, eq, value = item.partition("=")
        if not eq:
            continue
        key = _PORT_KEYS.get(key_text[:1])
        if key is None:
            notes.syserr(f'PortOptions parameter "{item}" unknown')
            continue
        settings[key] = _port_value(key, value.lstrip(_C_SPACE), notes)
    return MappingProxyType(settings)


def _port_value(key: str, value: str, notes: Notes) -> object:
    if key in _PORT_NUMBERS:
        return integer(value, notes)
    if key == "Port":
        return integer(value, notes, "a port number") if value[:1].isdigit() else value
    if key == "Family":
        return _family(value, notes)
    if key == "DeliveryMode":
        return delivery_mode(value, notes) if value else notes.fail("Unknown delivery mode ")
    if key == "Modifier":
        return modifiers(value)
    return value


def _family(value: str, notes: Notes) -> str | int:
    if value[:1].isdigit():
        return integer(value, notes)
    family = _FAMILIES.get(value.lower())
    if family is None:
        notes.fail(f"Unknown address family {value} in Family=option")
    return family


def alias_files(raw: str, notes: Notes) -> tuple[str, ...]:
    """AliasFile specs `[class:]info`, comma separated; commas inside "..." after the
    class (LDAP specifications) do not separate."""
    specs: list[str] = []
    i, n = 0, len(raw)
    while True:
        while i < n and raw[i] in _C_SPACE:
            i += 1
        if i >= n:
            return tuple(specs)
        end = _alias_spec_end(raw, i)
        specs.append(raw[i:end].rstrip(_C_SPACE))
        i = end + 1


def _alias_spec_end(raw: str, start: int) -> int:
    """Where the spec beginning at `start` ends: quotes count only from the first
    separator on, as sendmail starts its scan there."""
    i = start
    while i < len(raw) and raw[i] not in " ,/:":
        i += 1
    if i < len(raw) and raw[i] == ":":
        i += 1
    quoted = False
    while i < len(raw):
        if raw[i] == '"':
            quoted = not quoted
        elif raw[i] == "," and not quoted:
            return i
        i += 1
    return len(raw)


def macro_definition(raw: str, notes: Notes) -> tuple[str, str] | None:
    """The M option (`-oMxvalue`): macro name (one letter or {name}) and its value."""
    if raw.startswith("{"):
        name, brace, value = raw.partition("}")
        return (name + brace, value) if brace else None
    return (raw[0], raw[1:]) if raw else None
