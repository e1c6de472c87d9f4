"""makemap: build hash and btree map files from "key value" lines, like sendmail's makemap.

    makemap [-C file] [-N] [-c size] [-D char] [-d] [-e] [-f] [-i type] [-l] [-o] [-r]
            [-s] [-t delim] [-u] [-v] type mapname < input

Input lines are read as sendmail's makemap reads them (1023 octets at most, '#' or
the -D character starts a comment line, the key ends at the first blank or -t
character, keys fold to lower case unless -f).  The file written is mapname.db in
monomail's SQLite map format; it is built under a temporary name and renamed into
place, so a running monomail never reads a half-built map.  Messages and exit codes
are sendmail's.
"""

from __future__ import annotations

import os
import pwd
import sys
from dataclasses import dataclass
from typing import BinaryIO, TextIO

from monomail.sysexits import (EX_CANTCREAT, EX_DATAERR, EX_IOERR, EX_NOINPUT, EX_OK,
                               EX_USAGE)

from monomail.clib import atoi
from .dbfile import MAP_TYPES, MapFile, MapFileError, create_map_file, db_path, open_map_file

DEFAULT_CF = "/etc/mail/sendmail.cf"
BUFSIZE = 1024
OPTIONS_WITH_ARG = "CDcit"
OPTIONS_FLAGS = "NdefLlorsuvx"
C_SPACES = b" \t\n\v\f\r"
KNOWN_TYPES = ("hash", "btree", "implicit")
RECOMPILE_HINT = {"dbm": "NDBM", "cdb": "CDB"}


class Usage(Exception):
    """Bad command line: print the message (if any) and the usage, exit EX_USAGE."""


@dataclass
class Settings:
    """The command line, parsed."""

    cf: str = DEFAULT_CF
    inclnull: bool = False
    comment: bytes = b"#"
    allow_dups: bool = False
    allow_empty: bool = False
    foldcase: bool = True
    fallback: str | None = None
    notrunc: bool = False
    replace: bool = False
    sep: bytes = b""
    unmake: bool = False
    verbose: bool = False
    list_types: str | None = None   # "l", "L" or "x"
    map_type: str = ""
    map_name: str = ""


def usage_text(progname: str) -> str:
    pad = " " * len(progname)
    return (f"Usage: {progname} [-C cffile] [-N] [-c cachesize] [-D commentchar]\n"
            f"       {pad} [-d] [-e] [-f] [-i type] [-l] [-o] [-r] [-s] [-t delimiter]\n"
            f"       {pad} [-u] [-v] type mapname\n")


def parse_args(argv: list[str], err: TextIO, argv0: str) -> Settings:
    """getopt("C:D:Nc:defi:Llorst:uvx") with glibc's messages for bad options."""
    s = Settings()
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            i += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        j = 1
        while j < len(arg):
            opt = arg[j]
            j += 1
            if opt in OPTIONS_WITH_ARG:
                if j < len(arg):
                    value = arg[j:]
                elif i + 1 < len(argv):
                    i += 1
                    value = argv[i]
                else:
                    err.write(f"{argv0}: option requires an argument -- '{opt}'\n")
                    raise Usage()
                _set_value(s, opt, value, err)
                break
            if opt not in OPTIONS_FLAGS:
                err.write(f"{argv0}: invalid option -- '{opt}'\n")
                raise Usage()
            _set_flag(s, opt)
            if s.list_types is not None:
                return s
        i += 1
    rest = argv[i:]
    if len(rest) != 2:
        raise Usage()
    s.map_type, s.map_name = rest
    return s


def _set_value(s: Settings, opt: str, value: str, err: TextIO) -> None:
    data = os.fsencode(value)
    if opt == "C":
        s.cf = value
    elif opt == "D":
        s.comment = data[:1]
    elif opt == "i":
        s.fallback = value
    elif opt == "t":
        if data:
            s.sep = data[:1]
        else:
            err.write("Invalid separator\n")
    # -c (cache size) has no meaning for SQLite files


def _set_flag(s: Settings, opt: str) -> None:
    if opt in "lLx":
        s.list_types = opt
        return
    attr = {"N": "inclnull", "d": "allow_dups", "e": "allow_empty", "o": "notrunc",
            "r": "replace", "u": "unmake", "v": "verbose"}.get(opt)
    if attr is not None:
        setattr(s, attr, True)
    elif opt == "f":
        s.foldcase = False
    # -s relaxes sendmail's file safety checks, which monomail's makemap does not make


def list_types(kind: str, out: BinaryIO) -> None:
    if kind == "x":
        out.write(b"hash:db\nbtree:db\nimplicit:\n")
    else:
        out.write(b"hash\nbtree\nimplicit\n")
        if kind == "L":
            out.write(b"cf\nCF\n")


def class_from_cf(cf_text: str, mapname: str, fullpath: bool) -> str:
    """makemap's readcf: the class of the first K line whose file is mapname ("" if none).

    For type "cf" the full path must match; for "CF" only the base name without
    extensions.
    """
    if not fullpath:
        mapname = mapname.rsplit("/", 1)[-1].split(".", 1)[0]
    if not mapname:
        return ""
    for raw in cf_text.split("\n"):
        if not raw.startswith("K"):
            continue
        line = raw.rstrip(" \t\r\v\f")
        space = line.rfind(" ")
        if space < 0:
            continue
        found = line.find(mapname, space)
        if found <= 0:
            continue
        candidate = line[found:]
        if not fullpath and "." in candidate:
            candidate = candidate[:candidate.rindex(".")]
        if candidate != mapname:
            continue
        before = line[found - 1]
        if fullpath and before not in " \t":
            continue
        if not fullpath and before not in "/ \t":
            continue
        words = line[1:].split()
        if len(words) < 2 or not words[0][:1].isalnum() or not words[1][:1].isalnum():
            return ""
        mclass = words[1]
        end = 0
        while end < len(mclass) and mclass[end].isascii() and mclass[end].isalnum():
            end += 1
        return mclass[:end]
    return ""


def input_pieces(data: bytes) -> list[tuple[bytes, bool]]:
    """(line, complete) for each fgets(1024) read, as C string functions see the buffer.

    A piece is complete when a newline comes before any NUL, or when it is the end
    of the input without a newline; long lines and lines with a NUL are not.
    """
    pieces: list[tuple[bytes, bool]] = []
    start, n = 0, len(data)
    while start < n:
        nl = data.find(b"\n", start)
        end = n if nl < 0 else nl + 1
        end = min(end, start + BUFSIZE - 1)
        piece = data[start:end]
        text = piece.split(b"\0", 1)[0]
        complete = b"\n" in text or (end == n and not piece.endswith(b"\n"))
        pieces.append((text.split(b"\n", 1)[0], complete))
        start = end
    return pieces


class Builder:
    """Reads the input and stores it, reporting bad lines as sendmail's makemap does."""

    def __init__(self, s: Settings, db: MapFile, progname: str, out: BinaryIO,
                 err: TextIO) -> None:
        self.s = s
        self.db = db
        self.progname = progname
        self.out = out
        self.err = err
        self.status = EX_OK

    def complain(self, lineno: int, text: str) -> None:
        self.err.write(f"{self.progname}: {self.s.map_name}: line {lineno}: {text}\n")
        self.status = EX_DATAERR

    def is_sep(self, byte: int) -> bool:
        return byte in C_SPACES if not self.s.sep else byte == self.s.sep[0]

    def load(self, data: bytes) -> None:
        s = self.s
        for lineno, (line, complete) in enumerate(input_pieces(data), start=1):
            if not complete:
                self.complain(lineno, f"line too long ({BUFSIZE} bytes max)")
                continue
            if line == b"" or line[:1] == s.comment:
                continue
            if not s.sep and line[0] in C_SPACES:
                self.complain(lineno, "syntax error (leading space)")
                continue
            end = 0
            while end < len(line) and not self.is_sep(line[end]):
                end += 1
            key = line[:end].lower() if s.foldcase else line[:end]  # bytes fold ASCII only
            rest = end + 1 if end < len(line) else end
            while rest < len(line) and self.is_sep(line[rest]):
                rest += 1
            value = line[rest:]
            key_text = key.decode("latin-1")
            if not s.allow_empty and value == b"":
                self.complain(lineno, f"no RHS for LHS {key_text}")
                continue
            if s.verbose:
                self.out.write(b"key=`" + key + b"', val=`" + value + b"'\n")
            if s.inclnull:
                key, value = key + b"\0", value + b"\0"
            self.store(lineno, key, value, key_text)

    def store(self, lineno: int, key: bytes, value: bytes, key_text: str) -> None:
        s = self.s
        try:
            if not s.allow_dups and not s.replace and self.db.has_key(key):
                self.complain(lineno, f"key {key_text}: duplicate key")
                return
            self.db.put(key, value, replace=s.replace and not s.allow_dups)
        except Exception as exc:  # sqlite errors: report like a Berkeley DB put error
            self.err.write(f"{self.progname}: {s.map_name}: line {lineno}: key {key_text}: "
                           f"put error: {exc}\n")
            self.status = EX_IOERR


def dump(db: MapFile, sep: bytes, out: BinaryIO) -> None:
    """-u: every entry as "key<TAB>value" (C strings: cut at the first NUL)."""
    for key, value in db.items():
        out.write(key.split(b"\0", 1)[0] + (sep or b"\t") + value.split(b"\0", 1)[0] + b"\n")


def open_for_update(s: Settings, path: str) -> MapFile:
    """-o or -u: the existing file, of the same type."""
    return open_map_file(path, s.map_type, writable=not s.unmake)


def build(s: Settings, progname: str, stdin: BinaryIO, out: BinaryIO, err: TextIO) -> int:
    path = db_path(s.map_name)
    tmp: str | None = None
    try:
        if s.unmake or s.notrunc:
            db = open_for_update(s, path)
        else:
            directory = os.path.dirname(path) or "."
            tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.tmp")
            if os.path.lexists(tmp):
                os.unlink(tmp)
            db = create_map_file(tmp, s.map_type)
    except MapFileError as exc:
        err.write(f"{progname}: error opening type {s.map_type} map {s.map_name}: "
                  f"{exc.reason}\n")
        return EX_CANTCREAT
    except OSError as exc:
        err.write(f"{progname}: error opening type {s.map_type} map {s.map_name}: "
                  f"{exc.strerror}\n")
        return EX_CANTCREAT
    if s.unmake:
        dump(db, s.sep, out)
        db.close()
        return EX_OK
    builder = Builder(s, db, progname, out, err)
    builder.load(stdin.read())
    try:
        db.conn.commit()
        db.close()
        if tmp is not None:
            os.replace(tmp, path)
            tmp = None
    except Exception as exc:
        err.write(f"{progname}: close({s.map_name}): {exc}\n")
        return EX_IOERR
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    return builder.status


def main(argv: list[str] | None = None) -> int:
    """The makemap command; returns the exit status."""
    out = sys.stdout.buffer
    err = sys.stderr
    argv0 = sys.argv[0] if argv is None else "makemap"
    if argv0 in ("", "-c", "-m"):   # run as python -c / -m: there is no program name
        argv0 = "makemap"
    args = sys.argv[1:] if argv is None else list(argv)
    progname = os.path.basename(argv0).removesuffix(".py") or "makemap"
    try:
        s = parse_args(args, err, argv0)
    except Usage:
        err.write(usage_text(progname))
        return EX_USAGE
    if s.list_types is not None:
        list_types(s.list_types, out)
        out.flush()
        return EX_OK
    from_cf = s.map_type.lower() == "cf"
    cf_text: str | None = None
    trusted_uid = 0
    if os.geteuid() == 0 or from_cf:
        try:
            with open(s.cf, "rb") as f:
                cf_text = f.read().decode("latin-1")
        except OSError as exc:
            err.write(f"{progname}: {s.cf}: {exc.strerror}\n")
            return EX_NOINPUT
        trusted_uid = _trusted_uid(cf_text, err)
    if from_cf:
        found = class_from_cf(cf_text or "", s.map_name, s.map_type == "cf")
        if not found:
            if s.fallback:
                if s.verbose:
                    err.write(f"{progname}: mapfile {s.map_name}: not found in {s.cf}, "
                              f"using fallback {s.fallback}\n")
                found = s.fallback
            else:
                err.write(f"{progname}: mapfile {s.map_name}: not found in {s.cf}\n")
                return EX_DATAERR
        s.map_type = found
    if s.map_type == "implicit":
        s.map_type = "hash"
    if s.map_type not in MAP_TYPES:
        hint = RECOMPILE_HINT.get(s.map_type)
        if hint is not None:
            err.write(f"{progname}: Need to recompile with -D{hint} for {s.map_type} support\n")
        else:
            err.write(f"{progname}: error opening type {s.map_type} map {s.map_name}: "
                      "Unknown database type\n")
        return EX_CANTCREAT
    status = build(s, progname, sys.stdin.buffer, out, err)
    out.flush()
    if trusted_uid and not s.unmake and os.geteuid() == 0:
        try:
            os.chown(db_path(s.map_name), trusted_uid, -1)
        except OSError as exc:
            err.write(f"WARNING: ownership change on {s.map_name} failed {exc.strerror}")
    return status


def _trusted_uid(cf_text: str, err: TextIO) -> int:
    """O TrustedUser from the cf: the map file is given to that user (root runs only)."""
    uid = 0
    for line in cf_text.split("\n"):
        if line[:13].lower() != "o trusteduser" or line[13:14].isalnum():
            continue
        _, eq, value = line.partition("=")
        value = value.strip()
        if not eq or not value:
            continue
        if value[0].isdigit():
            uid = atoi(value)
            continue
        try:
            uid = pwd.getpwnam(value).pw_uid
        except KeyError:
            uid = 0
            err.write(f"TrustedUser: unknown user {value}\n")
    return uid


if __name__ == "__main__":
    sys.exit(main())
