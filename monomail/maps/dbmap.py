"""hash, btree and implicit maps: keyed files built by makemap (SQLite here, see dbfile).

The lookup follows sendmail's db_map_lookup: the key is cut to 256 octets and folded
to lower case unless -f, tried without and then with a trailing NUL (the first form
that hits is remembered, as sendmail's TRY0NULL/TRY1NULL flags are), and a file
changed on disk since it was opened is opened again, so a rebuilt map takes effect
without a restart.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Sequence

from monomail.sysexits import EX_OK, EX_TEMPFAIL

from .base import MAXNAME, Map, MapContext, MapOptions, lower_ascii
from .dbfile import MapFile, MapFileError, db_path, open_map_file


def key_bytes(key: str) -> bytes:
    """The octets of a key as rules hold it (latin-1 code points)."""
    return key.encode("latin-1", "replace")


def value_text(value: bytes) -> str:
    return value.decode("latin-1")


def notice(ctx: MapContext, text: str, about_address: bool = True) -> None:
    """A notice sendmail shows only in verbose mode (message()); contexts that keep a
    transcript offer `notice`, others (-bt) do not show it."""
    say = getattr(ctx, "notice", None)
    if say is not None:
        say(text, about_address)


class DbMap(Map):
    """`K name hash|btree [-flags] file`: reads file.db."""

    def __init__(self, options: MapOptions, valid: bool = True) -> None:
        super().__init__(options, valid)
        self.path = db_path(options.file or "")
        self.db_type = options.mclass.lower() if options.mclass.lower() in ("hash", "btree") \
            else "hash"
        self._db: MapFile | None = None
        self._stamp: tuple[int, int] | None = None

    def _open_db(self, ctx: MapContext, quiet: bool) -> bool:
        """db_map_open: report a missing or foreign file unless the map is optional."""
        quiet = quiet or self.options.optional
        try:
            st = os.stat(self.path)
        except OSError as exc:
            if not quiet:
                ctx.message(f'{self.db_type} map "{self.name}": missing map file '
                            f"{self.path}: {exc.strerror}")
            return False
        try:
            self._db = open_map_file(self.path, self.db_type)
        except MapFileError as exc:
            if not quiet:
                ctx.message(f"Cannot open {self.db_type} database {self.path}: {exc.reason}")
            return False
        self._stamp = (st.st_mtime_ns, st.st_ino)
        return True

    def _open(self, ctx: MapContext) -> bool:
        return self._open_db(ctx, quiet=False)

    @property
    def database_open(self) -> bool:
        """Is the .db file in use (not, for an implicit alias map, the text file)?"""
        return self._db is not None

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
        self._db = None

    def _changed(self) -> bool:
        """Has the file been replaced or rewritten since we opened it?"""
        try:
            st = os.stat(self.path)
        except OSError:
            return True
        return (st.st_mtime_ns, st.st_ino) != self._stamp

    def _reopen(self, ctx: MapContext) -> tuple[bool, int]:
        """Open a changed file again; a failure turns a non-optional map bogus (tempfail)."""
        self._close()
        if self._open_db(ctx, quiet=True):
            return True, EX_OK
        if self.options.optional:
            self.close()
            return False, EX_OK
        self.make_bogus()
        ctx.message(f"Cannot reopen DB database {self.options.file}")
        return False, EX_TEMPFAIL

    def fetch(self, key: str, ctx: MapContext) -> tuple[bytes | None, int]:
        """The stored value for key (after folding and NUL handling), and a status."""
        if self._db is None or self._changed():
            ok, status = self._reopen(ctx)
            if not ok:
                return None, status
        db = self._db
        assert db is not None
        raw = key_bytes(key)[:MAXNAME]
        if not self.options.nofoldcase:
            raw = key_bytes(lower_ascii(raw.decode("latin-1")))
        try:
            value = None
            if self._try0null:
                value = db.get(raw)
                if value is not None:
                    self._try1null = False
            if value is None and self._try1null:
                value = db.get(raw + b"\0")
                if value is not None:
                    self._try0null = False
        except (sqlite3.DatabaseError, MapFileError) as exc:
            ctx.message(f"db_map_lookup: get ({key}): {exc}")
            return None, EX_OK
        return value, EX_OK

    def _lookup(self, key: str, args: Sequence[str], ctx: MapContext) -> tuple[str | None, int]:
        value, status = self.fetch(key, ctx)
        if value is None:
            return None, status
        return self.answer(key, value_text(value), args), status


class ImplicitMap(DbMap):
    """`implicit`: the .db file if there is one; for alias maps, else the text file itself."""

    def __init__(self, options: MapOptions, valid: bool = True) -> None:
        super().__init__(options, valid)
        self._text: "StabMap | None" = None

    def _open(self, ctx: MapContext) -> bool:
        if self._open_db(ctx, quiet=True):
            return True
        if not self.options.alias:
            return False
        notice(ctx, f"WARNING: cannot open alias database {self.options.file}; "
                    "reading text version")
        text = StabMap(self.options)
        if not text.open(ctx):
            return False
        self._text = text
        return True

    def _lookup(self, key: str, args: Sequence[str], ctx: MapContext) -> tuple[str | None, int]:
        if self._text is not None:
            return self._text.lookup_raw(key, args, ctx)
        return super()._lookup(key, args, ctx)


class StabMap(Map):
    """`stab`: an alias file read whole into memory (sendmail's fallback when there is no .db)."""

    def __init__(self, options: MapOptions, valid: bool = True) -> None:
        super().__init__(options, valid)
        self._aliases: dict[str, str] = {}

    def _open(self, ctx: MapContext) -> bool:
        from monomail.aliases.aliasfile import load_aliases
        try:
            aliases = load_aliases(self.options.file or "")
        except OSError:
            return False
        for diagnostic in aliases.diagnostics:
            ctx.message(diagnostic.text)
        notice(ctx, aliases.summary(), about_address=False)
        self._aliases = aliases.entries
        return True

    def _lookup(self, key: str, args: Sequence[str], ctx: MapContext) -> tuple[str | None, int]:
        value = self._aliases.get(lower_ascii(key))
        if value is None:
            return None, EX_OK
        return self.answer(key, value, args), EX_OK
