"""newaliases (sendmail -bi): compile each text alias file into its map file.

    newaliases [-v] [-A] spec ...

Each spec is an AliasFile value, `[class:]file` (class defaults to implicit).
hash, btree and implicit files are rebuilt into file.db in the SQLite store that
monomail's makemap writes (the same dbfile functions, so DbMap reads both); other
classes are skipped silently, as sendmail skips maps it cannot rebuild.  The file
is built under a temporary name and renamed into place, and, as sendmail does when
it closes a rebuilt alias database, the entry "@" -> "@" is written last: readers
(sendmail's aliaswait) take its presence to mean the database is complete.

Keys and values are stored with a trailing NUL, as sendmail stores alias maps
(MF_INCLNULL); monomail's DbMap finds such keys.  Output goes to stdout as
sendmail's does: messages "file: line N: ...", then per file
"file: N aliases, longest M bytes, T bytes total".  Exit status: 0, or
EX_SOFTWARE (70) after an error sendmail reports with syserr (bad line, a file
that cannot be opened or a database that cannot be created); duplicates and
unbalanced quotes are only warnings.  The lead wires this to -bi and the
newaliases name; there is deliberately no console script here.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TextIO

from monomail.maps.dbfile import MapFile, create_map_file, db_path
from monomail.sysexits import EX_OK, EX_SOFTWARE, EX_USAGE

from .aliasfile import AliasFile, load_aliases, missing_required, required_warning

REBUILDABLE = {"hash": "hash", "btree": "btree", "implicit": "hash"}
SENTINEL = ("@", "@")   # sendmail's "distinguished alias": the database is complete


@dataclass(frozen=True)
class AliasSpec:
    """One AliasFile entry: the map class and the text file it names."""

    mclass: str
    file: str


def parse_spec(spec: str) -> AliasSpec:
    """`[class:]file`: a class only when ':' comes before any blank, ',' or '/'
    (sendmail's strpbrk(spec, " ,/:"))."""
    head, colon, rest = spec.partition(":")
    if colon and head and not any(c in head for c in " ,/"):
        return AliasSpec(head.lower(), rest.strip())
    return AliasSpec("implicit", spec.strip())


def store_aliases(db: MapFile, aliases: AliasFile) -> None:
    """Write the entries, NUL-terminated as sendmail's alias maps, then the sentinel."""
    for key, value in list(aliases.entries.items()) + [SENTINEL]:
        db.put(_cbytes(key), _cbytes(value), replace=True)


def _cbytes(text: str) -> bytes:
    return text.encode("latin-1", "replace") + b"\0"


def write_alias_db(aliases: AliasFile, db_type: str) -> None:
    """Build path.db under a temporary name and rename it into place when complete."""
    path = db_path(aliases.path)
    tmp = os.path.join(os.path.dirname(path) or ".",
                       f".{os.path.basename(path)}.{os.getpid()}.tmp")
    if os.path.lexists(tmp):
        os.unlink(tmp)
    try:
        db = create_map_file(tmp, db_type)
        try:
            store_aliases(db, aliases)
            db.conn.commit()
        finally:
            db.close()
        os.replace(tmp, path)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def rebuild(spec: AliasSpec, out: TextIO, append: bool = False) -> bool:
    """Rebuild one alias file; False if sendmail would have exited EX_SOFTWARE."""
    db_type = REBUILDABLE.get(spec.mclass)
    if db_type is None:
        return True
    try:
        aliases = load_aliases(spec.file, append)
    except OSError as exc:
        out.write(f"newaliases: cannot open {spec.file}: {exc.strerror}\n")
        return True   # sendmail only says so; the status stays 0
    for diagnostic in aliases.diagnostics:
        out.write(diagnostic.text + "\n")
    try:
        write_alias_db(aliases, db_type)
    except Exception as exc:   # sqlite or OS errors: sendmail's syserr wording
        out.write(f"Cannot create database for alias file {spec.file}: {exc}\n")
        return False
    out.write(aliases.summary() + "\n")
    missing = missing_required(aliases.entries)
    if missing:
        sys.stderr.write(required_warning(spec.file, missing) + "\n")
    return not aliases.failed


def parse_args(argv: list[str]) -> tuple[bool, list[AliasSpec]] | None:
    """(-A append mode, specs), or None on a usage error."""
    append = False
    specs: list[AliasSpec] = []
    for arg in argv:
        if arg == "-A":
            append = True
        elif arg == "-v":
            continue   # the summary is always printed by newaliases
        elif arg.startswith("-"):
            return None
        else:
            specs.append(parse_spec(arg))
    return append, specs


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    """Rebuild every alias file named in argv; returns sendmail's exit status."""
    out = out or sys.stdout
    parsed = parse_args(list(sys.argv[1:] if argv is None else argv))
    if parsed is None or not parsed[1]:
        out.write("usage: newaliases [-v] [-A] [class:]file ...\n")
        return EX_USAGE
    append, specs = parsed
    ok = True
    for spec in specs:
        ok = rebuild(spec, out, append) and ok
    out.flush()
    return EX_OK if ok else EX_SOFTWARE
