"""monomail.aliases.safefile: sendmail's safefile/safedirpath answers on real files.

Each rule is checked on files made in a folder without writable parents; the uid is this
process's own, so the tests mean the same as root or not.  The -bv differential test
checks the same answers against sendmail on .forward and :include: files.
"""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from pathlib import Path
from typing import Iterator

import oracle
import pytest

from monomail.aliases.include import file_lines, strip_comment
from monomail.aliases.safefile import (E_SM_GWDIR, E_SM_GWFILE, E_SM_NOHLINK, E_SM_NOSLINK,
                                       E_SM_REGONLY, E_SM_WWDIR, E_SM_WWFILE, SFF_MUSTOWN,
                                       SFF_NOGWFILES, SFF_NOLINK, SFF_NOWWFILES, SFF_REGONLY,
                                       SFF_ROOTOK, SFF_SAFEDIRPATH, FileSafety, errstring,
                                       may_open, safedirpath, safefile, transient)
from test_recipients_expand import TableUsers

ME = os.getuid()
FORWARD = SFF_REGONLY | SFF_MUSTOWN | SFF_ROOTOK | SFF_NOGWFILES | SFF_NOWWFILES


@pytest.fixture
def folder() -> Iterator[Path]:
    path = oracle.safe_work_root() / "safefile" / uuid.uuid4().hex
    path.mkdir(parents=True)
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def ctx(*blame: str) -> FileSafety:
    return FileSafety(TableUsers([]), frozenset(blame), euid=ME, real_uid=0, run_as_uid=0)


def check(path: Path, flags: int = FORWARD, *blame: str) -> int:
    return safefile(str(path), ME, os.getgid(), "someone", flags, 0o400, ctx(*blame))[0]


def make(path: Path, mode: int = 0o644, text: str = "x\n") -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def test_a_plain_file_is_safe(folder: Path) -> None:
    assert check(make(folder / ".forward")) == 0


def test_writable_files(folder: Path) -> None:
    assert check(make(folder / "g", 0o664)) == E_SM_GWFILE
    assert check(make(folder / "w", 0o646)) == E_SM_WWFILE
    assert check(folder / "g", FORWARD & ~SFF_NOGWFILES) == 0
    assert errstring(E_SM_GWFILE) == "Group writable file"


def test_links(folder: Path) -> None:
    target = make(folder / "target")
    (folder / "soft").symlink_to("target")
    os.link(target, folder / "hard")
    assert check(folder / "soft", FORWARD | SFF_NOLINK) == E_SM_NOSLINK
    assert check(folder / "hard", FORWARD | SFF_NOLINK) == E_SM_NOHLINK
    assert check(folder / "soft") == 0   # links are refused only where asked


def test_only_regular_files(folder: Path) -> None:
    (folder / "dir").mkdir()
    assert check(folder / "dir") == E_SM_REGONLY
    assert errstring(E_SM_REGONLY) == "Regular files only"


def test_missing_file(folder: Path) -> None:
    assert check(folder / "none") == errno.ENOENT
    assert errstring(errno.ENOENT) == "No such file or directory"


def test_owner_must_match(folder: Path) -> None:
    path = make(folder / "f")
    other = safefile(str(path), ME + 1, 0, None, FORWARD, 0o400, ctx())[0]
    assert other == (0 if ME == 0 else errno.EACCES)   # root-owned files are accepted


def test_writable_directories(folder: Path) -> None:
    for name, mode, err in (("gw", 0o775, E_SM_GWDIR), ("ww", 0o777, E_SM_WWDIR)):
        sub = folder / name
        sub.mkdir()
        sub.chmod(mode)
        assert safedirpath(str(sub), ME, 0, None, SFF_SAFEDIRPATH, 0, 0, ctx()) == err
        assert safedirpath(str(sub), ME, 0, None, 0, 0, 0, ctx()) == 0   # only a warning
    sticky = folder / "sticky"
    sticky.mkdir()
    sticky.chmod(0o1777)
    assert safedirpath(str(sticky), ME, 0, None, SFF_SAFEDIRPATH, 0, 0,
                       ctx("truststickybit")) == 0
    assert safedirpath(str(folder / "gw"), ME, 0, None, SFF_SAFEDIRPATH, 0, 0,
                       ctx("groupwritabledirpathsafe")) == 0


def test_symlinked_directory_is_followed(folder: Path) -> None:
    open_dir = folder / "open"
    open_dir.mkdir()
    open_dir.chmod(0o777)
    (folder / "link").symlink_to(open_dir)
    assert safedirpath(str(folder / "link"), ME, 0, None, SFF_SAFEDIRPATH, 0, 0,
                       ctx()) == E_SM_WWDIR


def test_may_open_by_permission_bits(folder: Path) -> None:
    path = make(folder / "private", 0o600)
    owner = path.stat().st_uid
    assert may_open(str(path), 0, [0]) == 0
    assert may_open(str(path), owner + 1 if owner else 1, [12345]) == errno.EACCES
    path.chmod(0o640)
    assert may_open(str(path), owner + 1 if owner else 1, [path.stat().st_gid]) == 0


def test_transient_errors() -> None:
    assert transient(errno.EAGAIN) and not transient(errno.ENOENT)


def test_file_lines_as_fgets_reads_them() -> None:
    long = b"x" * 3000
    lines = list(file_lines(b"a\r\nb\n\n" + long + b"\nlast"))
    assert lines[:3] == ["a", "b", ""]
    assert [len(line) for line in lines[3:5]] == [2047, 953]
    assert lines[5] == "last"
    assert list(file_lines(b"nul\0after\n")) == ["nul"]


def test_japanese_comment_marker() -> None:
    assert strip_comment("alice, bob #@# the team") == "alice, bob"
    assert strip_comment("alice#@# not a comment") == "alice#@# not a comment"
    assert strip_comment("a \t#@#") == "a"
