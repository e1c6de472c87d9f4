"""The on-disk format of hash and btree maps: one SQLite file, named as sendmail names the .db.

`K access hash /etc/mail/access` reads /etc/mail/access.db, built by monomail's makemap
from /etc/mail/access.  Keys and values are stored as the octets makemap read (with the
trailing NUL under -N), in insertion order, so duplicate keys (-d) keep the first one
first.  Berkeley DB files from real sendmail are not readable here; opening one says so
and names the file, so the fix (rebuild with monomail's makemap) is obvious.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass

APPLICATION_ID = 0x4D4D4150   # "MMAP" in the SQLite header: a quick "is this ours" test
FORMAT_NAME = "monomail-map"
FORMAT_VERSION = "1"
SQLITE_MAGIC = b"SQLite format 3\x00"
MAP_TYPES = ("hash", "btree")

SCHEMA = (
    "CREATE TABLE map_info (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE entries (seq INTEGER PRIMARY KEY, key BLOB NOT NULL, value BLOB NOT NULL)",
    "CREATE INDEX entries_by_key ON entries (key, seq)",
)


class MapFileError(Exception):
    """A map file that cannot be used; `reason` is what sendmail would print after the name."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def db_path(file: str) -> str:
    """The file a hash or btree map reads: sendmail appends .db unless the name has it."""
    return file if file.endswith(".db") and len(file) >= 3 else file + ".db"


def not_ours(path: str) -> MapFileError:
    return MapFileError(path, "not a monomail map file; rebuild it with monomail's makemap")


def check_header(path: str) -> None:
    """Refuse anything but a SQLite file carrying our application id (e.g. a Berkeley DB .db)."""
    try:
        with open(path, "rb") as f:
            head = f.read(100)
    except FileNotFoundError:
        raise MapFileError(path, "No such file or directory") from None
    except OSError as exc:
        raise MapFileError(path, exc.strerror or str(exc)) from None
    if len(head) < 100 or head[:16] != SQLITE_MAGIC:
        raise not_ours(path)
    if int.from_bytes(head[68:72], "big") != APPLICATION_ID:
        raise not_ours(path)


@dataclass
class MapFile:
    """An open map file, read-only unless built by makemap."""

    path: str
    conn: sqlite3.Connection
    map_type: str

    def get(self, key: bytes) -> bytes | None:
        """The first value stored for key; a row of the wrong type means a damaged file."""
        row = self.conn.execute(
            "SELECT value FROM entries WHERE key = ? ORDER BY seq LIMIT 1", (key,)).fetchone()
        if row is None:
            return None
        value = row[0]
        if not isinstance(value, bytes):
            raise MapFileError(self.path, "damaged entry (value is not a byte string)")
        return value

    def items(self) -> list[tuple[bytes, bytes]]:
        """Every entry: key order for btree (as Berkeley DB lists it), insertion order for hash."""
        order = "key, seq" if self.map_type == "btree" else "seq"
        rows = self.conn.execute(f"SELECT key, value FROM entries ORDER BY {order}").fetchall()
        out: list[tuple[bytes, bytes]] = []
        for key, value in rows:
            if not isinstance(key, bytes) or not isinstance(value, bytes):
                raise MapFileError(self.path, "damaged entry (not a byte string)")
            out.append((key, value))
        return out

    def has_key(self, key: bytes) -> bool:
        return self.conn.execute("SELECT 1 FROM entries WHERE key = ? LIMIT 1",
                                 (key,)).fetchone() is not None

    def put(self, key: bytes, value: bytes, replace: bool) -> None:
        """Insert; with replace, overwrite the first entry of the key in place."""
        if replace:
            cur = self.conn.execute(
                "UPDATE entries SET value = ? WHERE seq = "
                "(SELECT seq FROM entries WHERE key = ? ORDER BY seq LIMIT 1)", (value, key))
            if cur.rowcount:
                return
        self.conn.execute("INSERT INTO entries (key, value) VALUES (?, ?)", (key, value))

    def close(self) -> None:
        self.conn.close()


def _validate(path: str, conn: sqlite3.Connection, map_type: str | None) -> str:
    """Read back and check the format marker; returns the stored map type."""
    try:
        info = dict(conn.execute("SELECT name, value FROM map_info").fetchall())
        columns = [r[1] for r in conn.execute("PRAGMA table_info(entries)").fetchall()]
    except sqlite3.DatabaseError:
        raise not_ours(path) from None
    if info.get("format") != FORMAT_NAME or columns != ["seq", "key", "value"]:
        raise not_ours(path)
    if info.get("version") != FORMAT_VERSION:
        raise MapFileError(path, f"map file format version {info.get('version')!r} is not "
                                 f"{FORMAT_VERSION}; rebuild it with monomail's makemap")
    stored = info.get("type")
    if stored not in MAP_TYPES:
        raise not_ours(path)
    if map_type is not None and stored != map_type:
        # Berkeley DB refuses a hash file opened as btree and the other way round
        raise MapFileError(path, "Invalid argument")
    return stored


def open_map_file(path: str, map_type: str | None, writable: bool = False) -> MapFile:
    """Open an existing map file, checking that it is ours and of the expected type."""
    check_header(path)
    mode = "rw" if writable else "ro"
    try:
        conn = sqlite3.connect(f"file:{_uri_path(path)}?mode={mode}", uri=True,
                               isolation_level=None if not writable else "DEFERRED",
                               check_same_thread=False)
    except sqlite3.Error as exc:
        raise MapFileError(path, str(exc)) from None
    try:
        stored = _validate(path, conn, map_type)
    except MapFileError:
        conn.close()
        raise
    return MapFile(path, conn, stored)


def create_map_file(path: str, map_type: str, mode: int = 0o640) -> MapFile:
    """A new, empty map file at path (which must not exist yet), ready for put()."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    os.close(fd)
    conn = sqlite3.connect(path, isolation_level="DEFERRED", check_same_thread=False)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    for statement in SCHEMA:
        conn.execute(statement)
    conn.executemany("INSERT INTO map_info (name, value) VALUES (?, ?)",
                     [("format", FORMAT_NAME), ("version", FORMAT_VERSION), ("type", map_type)])
    return MapFile(path, conn, map_type)


def _uri_path(path: str) -> str:
    """Escape a file name for an SQLite file: URI."""
    safe = b"/._-~abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(chr(b) if b in safe else f"%{b:02X}"
                   for b in os.fsencode(os.path.abspath(path)))
