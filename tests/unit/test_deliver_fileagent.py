"""File delivery (`/path` recipients): who writes, which files may be written, the safe
root, and the file cut back after a failed write."""

from __future__ import annotations

import os
import stat
import time
from dataclasses import replace
from pathlib import Path

import deliver_support
from deliver_support import GID, UID, fill, mailers, require_root, settings, tmpfs
from monomail import sysexits as ex
from monomail.deliver.agents import deliver
from monomail.deliver.fileagent import FileRequest, mailfile, make_request
from monomail.deliver.job import Job, Owner, Recipient

open_dir = deliver_support.open_dir  # the fixture

MESSAGE = b"From joe@example.com  Sat Nov 21 10:00:00 2026\nSubject: hi\n\n>From body\n"
FILE_MAILER = mailers("")["*file*"]
OWNER = Owner(UID, GID, None)


async def to_file(path: str, owner: Owner | None = OWNER, **kw):
    job = Job(FILE_MAILER, "joe@example.com", (Recipient(path, owner=owner),), MESSAGE)
    (outcome,) = await deliver(job, settings(**kw))
    return outcome


async def test_new_file_is_made_by_the_controlling_user(open_dir: Path) -> None:
    require_root()
    target = open_dir / "saved"
    outcome = await to_file(str(target))
    assert outcome.ok, outcome
    st = target.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (UID, GID, 0o600)
    assert target.read_bytes() == MESSAGE + b"\n"
    assert (await to_file(str(target))).ok
    assert target.read_bytes() == (MESSAGE + b"\n") * 2


async def test_dev_null_takes_everything() -> None:
    assert (await to_file("/dev/null", owner=None)).ok


async def test_default_user_cannot_write_where_root_may(tmp_path: Path) -> None:
    require_root()
    outcome = await to_file(str(tmp_path / "x"), owner=None,
                            default_owner=Owner(UID, GID, None))
    assert (outcome.exit, outcome.dsn, outcome.text) == (
        ex.EX_CANTCREAT, "5.3.0", f"Can't create output (cannot open {tmp_path}/x: "
                                  "Permission denied)")
    assert outcome.transcript == f"554 5.3.0 cannot open {tmp_path}/x: Permission denied"
    assert not (tmp_path / "x").exists()


async def test_symlink_is_refused_unless_dont_blame_sendmail_allows(open_dir: Path) -> None:
    target = open_dir / "real"
    target.write_bytes(b"")
    os.chown(target, UID, GID)
    (open_dir / "link").symlink_to(target)
    outcome = await to_file(str(open_dir / "link"))
    assert outcome.exit == ex.EX_CANTCREAT and "Symbolic links not allowed" in outcome.text
    assert target.read_bytes() == b""
    allowed = await to_file(str(open_dir / "link"),
                            dont_blame=frozenset({"filedeliverytosymlink"}))
    assert allowed.ok and target.read_bytes() == MESSAGE + b"\n"


async def test_hard_link_and_executable_files_are_refused(open_dir: Path) -> None:
    (open_dir / "a").write_bytes(b"")
    os.link(open_dir / "a", open_dir / "b")
    (open_dir / "prog").write_bytes(b"#!/bin/sh\n")
    (open_dir / "prog").chmod(0o766)
    for name in ("b", "prog"):
        outcome = await to_file(str(open_dir / name))
        assert outcome.exit == ex.EX_CANTCREAT, name
    assert (open_dir / "a").read_bytes() == b""
    assert (open_dir / "prog").read_bytes() == b"#!/bin/sh\n"


async def test_set_user_id_file_chooses_its_writer_only_for_aliases(open_dir: Path) -> None:
    require_root()
    target = open_dir / "suid"
    target.write_bytes(b"")
    os.chown(target, UID, GID)
    target.chmod(0o4600)
    stranger = Owner(UID + 7, GID + 7, None)
    refused = await to_file(str(target), owner=stranger)
    assert refused.exit == ex.EX_CANTCREAT
    allowed = await to_file(str(target), owner=replace(stranger, alias=True))
    assert allowed.ok, allowed
    assert target.read_bytes() == MESSAGE + b"\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o4600


async def test_safe_file_environment_is_a_chroot(open_dir: Path) -> None:
    require_root()
    safe = open_dir / "safe"
    (safe / "out").mkdir(parents=True)
    (safe / "out").chmod(0o1777)
    outside = open_dir / "out"
    outside.mkdir()
    for name in ("/out/a", f"{safe}/out/b", "out/c"):
        assert (await to_file(name, safe_file_env=str(safe))).ok, name
    assert sorted(os.listdir(safe / "out")) == ["a", "b", "c"]
    escape = await to_file("/../../../../out/d", safe_file_env=str(safe))
    assert escape.ok and (safe / "out/d").exists()
    assert list(outside.iterdir()) == []


def test_safe_root_without_chroot_keeps_files_inside(open_dir: Path) -> None:
    safe = open_dir / "safe"
    safe.mkdir()
    (safe / "away").symlink_to(open_dir)
    job = Job(FILE_MAILER, "joe", (Recipient("/away/x", owner=OWNER),), MESSAGE)
    request = make_request(job, job.recipients[0], settings(safe_file_env=str(safe),
                                                             privileged=False))
    assert isinstance(request, FileRequest) and request.path == "/away/x"
    outcome = mailfile(request, MESSAGE, become=False)
    assert outcome.exit == ex.EX_CANTCREAT and "resolves outside" in outcome.text
    assert not (open_dir / "x").exists()
    inside = mailfile(replace(request, path="/y"), MESSAGE, become=False)
    assert inside.ok and (safe / "y").read_bytes() == MESSAGE


async def test_as_ourselves_when_not_root(tmp_path: Path) -> None:
    outcome = await to_file(str(tmp_path / "x"), privileged=False)
    assert outcome.ok and (tmp_path / "x").stat().st_uid == os.geteuid()


async def test_fifo_without_reader_times_out(open_dir: Path) -> None:
    os.mkfifo(open_dir / "fifo")
    os.chown(open_dir / "fifo", UID, GID)
    start = time.monotonic()
    child = await to_file(str(open_dir / "fifo"), fileopen_timeout=1.0)
    assert child.retry and time.monotonic() - start < 10
    thread = await to_file(str(open_dir / "fifo"), privileged=False)
    assert thread.retry and thread.text.endswith("No such device or address")


async def test_full_file_system_cuts_the_file_back(open_dir: Path) -> None:
    with tmpfs(open_dir / "fs", "256k") as fs:
        fs.chmod(0o1777)
        target = fs / "saved"
        assert (await to_file(str(target))).ok
        before = target.read_bytes()
        fill(fs, leave=4096)
        job = Job(FILE_MAILER, "joe", (Recipient(str(target), owner=OWNER),),
                  b"Subject: big\n\n" + b"z" * 100_000)
        (outcome,) = await deliver(job, settings())
        assert (outcome.exit, outcome.dsn) == (ex.EX_TEMPFAIL, "4.2.2")
        assert target.read_bytes() == before
