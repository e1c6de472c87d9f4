"""Internal token alphabet of the rewriting engine, and how sendmail prints it.

sendmail keeps rewrite operators as single octets 0201..0236 inside token strings and
long macro/class names as one-octet ids from 0240 up.  We keep the same encoding (as
code points of a latin-1 str) because `-bt` must print traces byte for byte as sendmail
does, and its printer (xputs) works on exactly that encoding.
"""

from __future__ import annotations

from typing import Callable, Iterable

MACROEXPAND = "\x81"   # $x at cf-read time
MACRODEXPAND = "\x82"  # $&x, deferred to run time
LOOKUPBEGIN = "\x85"   # $(
LOOKUPEND = "\x86"     # $)
MATCHZANY = "\x90"     # $*
MATCHANY = "\x91"      # $+
MATCHONE = "\x92"      # $-
MATCHCLASS = "\x93"    # $=X
MATCHNCLASS = "\x94"   # $~X
MATCHREPL = "\x95"     # $1..$9
CANONNET = "\x96"      # $#
CANONHOST = "\x97"     # $@ (also "match zero tokens" on a LHS)
CANONUSER = "\x98"     # $:
CALLSUBR = "\x99"      # $>
CONDIF = "\x9a"        # $?
CONDELSE = "\x9b"      # $|
CONDFI = "\x9c"        # $.
HOSTBEGIN = "\x9d"     # $[
HOSTEND = "\x9e"       # $]
METAQUOTE = "\xff"     # quotes the next octet (sendmail 8.17: 0377)
MATCHZERO = CANONHOST

# the printable name of each metasymbol, as in sendmail's MetaMacros table
META_NAMES: dict[str, str] = {
    MATCHZANY: "*", MATCHANY: "+", MATCHONE: "-", MATCHCLASS: "=", MATCHNCLASS: "~",
    CANONNET: "#", CANONHOST: "@", CANONUSER: ":", CALLSUBR: ">",
    CONDIF: "?", CONDELSE: "|", CONDFI: ".",
    HOSTBEGIN: "[", HOSTEND: "]", LOOKUPBEGIN: "(", LOOKUPEND: ")",
    MACRODEXPAND: "&",
}

MAXATOM = 1000
MAXNAME = 256
MAXMATCH = 9
MAXRWSETS = 200

MacroNamer = Callable[[int], str]


def macro_id_text(mid: str, macname: MacroNamer) -> str:
    """How xputs shows the macro id that follows $= $~ $&: `{name}` for long ids."""
    code = ord(mid)
    if code & 0x80:
        return "{" + macname(code) + "}"
    return mid


def xputs(s: str | None, macname: MacroNamer) -> str:
    """Render a token the way sendmail's xputs does (no terminal escapes)."""
    if s is None:
        return "<null>"
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        i += 1
        code = ord(c)
        if code >= 0x80:
            if c == MATCHREPL:
                out.append("$")
                if i >= n:
                    continue
                c = s[i]
                i += 1
                out.append(_printable(c))
                continue
            if c == MACROEXPAND or c == MACRODEXPAND:
                out.append("$&" if c == MACRODEXPAND else "$")
                if i >= n:
                    continue
                if s[i] in "=~&?":
                    out.append(s[i])
                    i += 1
                if i < n:
                    out.append(macro_id_text(s[i], macname))
                    i += 1
                continue
            name = META_NAMES.get(c)
            if name is not None:
                out.append("$" + name)
                if (c == MATCHCLASS or c == MATCHNCLASS) and i < n:
                    out.append(macro_id_text(s[i], macname))
                    i += 1
                continue
            out.append("M-")
            c = chr(code & 0x7F)
        out.append(_printable(c))
    return "".join(out)


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _printable(c: str) -> str:
    """One ASCII character as xputs prints it: other control characters vanish."""
    if " " <= c <= "~":
        return c
    return _ESCAPES.get(c, "")


def printav(tokens: Iterable[str], macname: MacroNamer) -> str:
    """sendmail's printav: each token preceded by a space, then a newline."""
    return "".join(" " + xputs(t, macname) for t in tokens) + "\n"
