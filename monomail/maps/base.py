"""What every map shares: the context a lookup runs in, the K-line options, and the lookup pipeline.

sendmail splits a `$( map key $)` lookup over three places: parseaddr.c's map_lookup
(quote stripping, deferral, -T on temporary failure), the class's own lookup, and
map_rewrite (%0..%9 and -a).  `Map.lookup` is all three in that order; `Map.lookup_raw`
is only the class's part, which is what `-bt`'s `/map` and sequence members call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, Sequence

from monomail.rewrite.addrutil import lower as lower_ascii
from monomail.rewrite.addrutil import stripquotes
from monomail.sysexits import EX_NOHOST, EX_NOTFOUND, EX_OK, EX_TEMPFAIL

if TYPE_CHECKING:
    from .hostlookup import HostLookup

MAXNAME = 256       # sendmail's key and column buffers hold this many octets
MAXLINE = 2048      # fgets() buffer of the text map and the hosts file
MAX_MAP_ARGS = 10   # argvect[0] is the key, at most eight $@ arguments, then NULL
SPACES = " \t\n\v\f\r"  # isspace() in the C locale
# The status class lookups leave for "not found": sendmail's conf.h defines its
# EX_NOTFOUND as EX_NOHOST (68), and `-bt /map` prints that number.
SM_NOTFOUND = EX_NOHOST


class MapContext(Protocol):
    """What a lookup may ask of the rule engine that runs it.

    Optional attributes read with getattr when present: `delivery_mode` (the
    DeliveryMode option letter; "d" makes -D maps defer), `match_gecos` (the
    MatchGECOS option, for the user map) and `default_uid` / `default_gid` (the
    DefaultUser a program map runs as when monomail runs as root).
    """

    @property
    def hosts(self) -> "HostLookup": ...

    def macro(self, name: str) -> str | None: ...

    def define_macro(self, name: str, value: str | None) -> None: ...

    def in_class(self, cls: str, word: str) -> bool: ...

    def get_map(self, name: str) -> "Map | None": ...

    def message(self, text: str) -> None: ...


@dataclass(frozen=True)
class MapOptions:
    """The flags of a K line as sendmail's map_parseargs (or the class's own parser) leaves them."""

    name: str
    mclass: str
    file: str | None = None
    rebuild: str | None = None      # whatever follows the file name (program arguments)
    app: str | None = None          # -a: appended to every answer
    tapp: str | None = None         # -T: appended to the key on a temporary failure
    matchonly: bool = False         # -m
    nofoldcase: bool = False        # -f
    inclnull: bool = False          # -N
    try0null: bool = False          # look up the key without a trailing NUL
    try1null: bool = False          # look up the key with a trailing NUL
    optional: bool = False          # -o
    keepquotes: bool = False        # -q
    append: bool = False            # -A (alias maps: append values of duplicate keys)
    defer: bool = False             # -D
    nodefer: bool = False           # -t
    spacesub: str = ""              # -S; "" means "use the BlankSub option"
    timeout: int = 0                # -d, seconds
    retry: int = 0                  # -r (host and dns maps)
    keycol: str | None = None       # -k, as written
    valcol: str | None = None       # -v, as written
    coldelim: str = ""              # -z; "" means white space
    alias: bool = False             # the map serves AliasFile


def equal_ignore_case(a: str, b: str) -> bool:
    """strcasecmp() == 0 in the C locale."""
    return len(a) == len(b) and lower_ascii(a) == lower_ascii(b)


def cstring(s: str) -> str:
    """A value as C sees it: everything up to the first NUL."""
    nul = s.find("\0")
    return s if nul < 0 else s[:nul]


def map_rewrite(value: str, args: Sequence[str] | None, app: str | None) -> str:
    """sendmail's map_rewrite: %0..%9 become the key and $@ arguments, -a is appended.

    With args None (match-only answers) the value is copied as is.  A '%' before a
    non-digit stays, "%%" is one '%', and %n with no such argument vanishes.
    """
    if args is None or "%" not in value:
        out = cstring(value)
    else:
        parts: list[str] = []
        i, n = 0, len(value)
        while i < n:
            c = value[i]
            i += 1
            if c == "\0":
                break
            if c != "%":
                parts.append(c)
                continue
            if i >= n or value[i] == "\0":
                c = "%"
                i += 1
            else:
                c = value[i]
                i += 1
            if c == "%":
                parts.append("%")
            elif not ("0" <= c <= "9"):
                parts.append("%" + c)
            else:
                idx = ord(c) - ord("0")
                if idx < len(args):
                    parts.append(cstring(args[idx]))
        out = "".join(parts)
    if app:
        out += app
    return out


class Map:
    """One K line: the lookup pipeline, lazy opening, and the "bogus" state of a failed open.

    Subclasses override `_open` (sendmail's map_open: True when usable, reporting
    errors through ctx.message) and `_lookup` (the class's map_lookup, returning
    the answer and the status it would leave in *statp, starting from EX_OK).
    """

    #: whether a file name is optional for this class (sendmail's MCF_OPTFILE)
    optional_file = False

    def __init__(self, options: MapOptions, valid: bool = True) -> None:
        self.options = options
        self.name = options.name
        self.mclass = options.mclass
        self.spacesub = options.spacesub
        self._valid = valid
        self._open_state = False
        self._bogus = False
        # sticky: once a key is found with (without) the NUL, only that form is tried
        self._try0null = options.try0null
        self._try1null = options.try1null

    # ---- state -------------------------------------------------------------------------

    @property
    def valid(self) -> bool:
        """False once the K line failed to parse or an optional map failed to open."""
        return self._valid

    @property
    def is_open(self) -> bool:
        return self._open_state

    def open(self, ctx: MapContext) -> bool:
        """sendmail's openmap(): open on first use; a failed non-optional map turns bogus.

        A bogus map counts as open and answers every lookup with a temporary failure,
        so mail waits instead of being misrouted by a missing table.
        """
        if not self._valid:
            return False
        if self._open_state:
            return True
        if self._open(ctx):
            self._open_state = True
        elif not self.options.optional:
            self._bogus = True
            self._open_state = True
        else:
            self._valid = False
        return self._open_state

    def open_class(self, ctx: MapContext) -> bool:
        """The class's own open, without openmap's bogus fallback: F lines use it and
        report a failure themselves."""
        if not self._valid:
            return False
        self._open_state = self._open_state or self._open(ctx)
        return self._open_state

    def close(self) -> None:
        """Forget the open state (and bogus state) so the next lookup opens again."""
        if self._open_state and not self._bogus:
            self._close()
        self._open_state = False
        self._bogus = False

    def invalidate(self) -> None:
        """Mark the map unusable, as sendmail clears MF_VALID after some failures."""
        self.close()
        self._valid = False

    def make_bogus(self) -> None:
        """Switch to temporary failure for every lookup (a database that cannot be reopened)."""
        self._bogus = True
        self._open_state = True

    # ---- hooks -------------------------------------------------------------------------

    def _open(self, ctx: MapContext) -> bool:
        return True

    def _close(self) -> None:
        return None

    def _lookup(self, key: str, args: Sequence[str], ctx: MapContext) -> tuple[str | None, int]:
        return None, SM_NOTFOUND

    # ---- lookups -----------------------------------------------------------------------

    def rewrite(self, value: str, args: Sequence[str] | None) -> str:
        """map_rewrite with this map's -a."""
        return map_rewrite(value, args, self.options.app)

    def answer(self, key: str, value: str, args: Sequence[str]) -> str:
        """What a found entry turns into: the key itself under -m, else the rewritten value."""
        if self.options.matchonly:
            return self.rewrite(key, None)
        return self.rewrite(value, args)

    def lookup_raw(self, key: str, args: Sequence[str], ctx: MapContext) -> tuple[str | None, int]:
        """The class's lookup on an open map (bogus maps fail temporarily); no quote handling.

        This is what `-bt`'s `/map NAME key` prints and what sequence members run.
        The map is opened first if need be; a map that cannot be opened finds nothing.
        """
        if not self.open(ctx):
            return None, SM_NOTFOUND
        if self._bogus:
            return None, EX_TEMPFAIL
        return self._lookup(key, args, ctx)

    def lookup(self, key: str, args: Sequence[str], ctx: MapContext) -> tuple[str | None, int]:
        """A rule's `$( name key $@ args $: default $)`: returns (answer or None, status).

        status is EX_OK when found, EX_TEMPFAIL when sendmail's map_lookup would report
        a temporary failure (not under -t), else EX_NOTFOUND.
        """
        if not self.open(ctx):
            return None, EX_NOTFOUND
        if self.options.defer and getattr(ctx, "delivery_mode", None) == "d":
            return None, EX_TEMPFAIL
        if not self.options.keepquotes:
            key = stripquotes(key)
        argv = [key, *list(args[1:MAX_MAP_ARGS - 1])]
        value, status = self.lookup_raw(key, argv, ctx)
        tempfail = status == EX_TEMPFAIL
        reported = EX_TEMPFAIL if tempfail and not self.options.nodefer else None
        if tempfail and self.options.tapp is not None:
            return key + self.options.tapp, reported or EX_OK
        if value is None:
            return None, reported or EX_NOTFOUND
        return value, EX_OK
