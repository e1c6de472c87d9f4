"""Maildir delivery: names, what Python's mailbox reads, folders made and checked, and no
trace of a message whose delivery failed."""

from __future__ import annotations

import errno
import mailbox
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from deliver_support import GID, UID, fill, require_root, tmpfs
from monomail import sysexits as ex
from monomail.deliver import maildir as maildir_mod
from monomail.deliver.maildir import deliver_maildir, unique_name
from monomail.deliver.mbox import MailboxOwner

MINE = MailboxOwner(os.geteuid(), os.getegid(), give=False)
MESSAGE = b"From: ann@example.org\nSubject: hi\n\nFrom the body\n"
NAME = re.compile(r"^(\d+)\.M(\d+)P(\d+)Q(\d+)\.mail\.example\.com,S=(\d+)$")


def deliver(base: Path, data: bytes = MESSAGE, owner: MailboxOwner = MINE, leaf: str = "joe"):
    return deliver_maildir(str(base), leaf, data, owner, "mail.example.com")


def files(base: Path, sub: str, leaf: str = "joe") -> list[str]:
    return sorted(os.listdir(base / leaf / sub))


def test_message_lands_in_new_and_reads_back(tmp_path: Path) -> None:
    assert deliver(tmp_path).ok
    names = files(tmp_path, "new")
    assert len(names) == 1 and files(tmp_path, "tmp") == [] and files(tmp_path, "cur") == []
    match = NAME.match(names[0])
    assert match and int(match.group(3)) == os.getpid()
    assert int(match.group(5)) == len(MESSAGE) == (tmp_path / "joe/new" / names[0]).stat().st_size
    box = mailbox.Maildir(str(tmp_path / "joe"), create=False)
    (stored,) = list(box)
    assert stored["subject"] == "hi" and stored.get_subdir() == "new"
    assert box.get_bytes(box.keys()[0]) == MESSAGE


def test_names_are_unique_and_encode_the_host() -> None:
    names = {unique_name("a/b:c", 10, now=1795577000.25) for _ in range(100)}
    assert len(names) == 100
    assert all(n.startswith("1795577000.M250000P") and n.endswith(".a\\057b\\072c,S=10")
               for n in names)


def test_many_deliveries_all_arrive(tmp_path: Path) -> None:
    for i in range(50):
        assert deliver(tmp_path, f"Subject: {i}\n\nx\n".encode()).ok
    box = mailbox.Maildir(str(tmp_path / "joe"), create=False)
    assert sorted(int(m["subject"]) for m in box) == list(range(50))


def test_missing_maildir_is_made_for_its_user(tmp_path: Path) -> None:
    require_root()
    assert deliver(tmp_path, owner=MailboxOwner(UID, GID, True)).ok
    for folder in ("", "cur", "new", "tmp"):
        st = (tmp_path / "joe" / folder).stat()
        assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (UID, GID, 0o700)
    (name,) = files(tmp_path, "new")
    st = (tmp_path / "joe/new" / name).stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (UID, GID, 0o600)


def test_maildir_of_someone_else_is_refused(tmp_path: Path) -> None:
    require_root()
    (tmp_path / "joe/new").mkdir(parents=True)
    os.chown(tmp_path / "joe", UID + 1, GID)
    outcome = deliver(tmp_path, owner=MailboxOwner(UID, GID, True))
    assert (outcome.exit, outcome.dsn) == (ex.EX_CANTCREAT, "5.2.0")
    assert f"wrong ownership ({UID + 1})" in outcome.text
    assert files(tmp_path, "new") == []


@pytest.mark.parametrize("link", ["joe", "joe/new"])
def test_symlinked_folders_are_refused(tmp_path: Path, link: str) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "joe").mkdir()
    for sub in ("cur", "tmp") if link != "joe" else ():
        (tmp_path / "joe" / sub).mkdir()
    if link == "joe":
        (tmp_path / "joe").rmdir()
    (tmp_path / link).symlink_to(elsewhere)
    outcome = deliver(tmp_path)
    assert not outcome.ok and not outcome.retry
    assert "not a directory" in outcome.text
    assert list(elsewhere.iterdir()) == []


def test_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def write_all(fd: int, data: bytes) -> None:
        os.write(fd, data[:5])
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(maildir_mod, "write_all", write_all)
    outcome = deliver(tmp_path)
    assert (outcome.exit, outcome.dsn) == (ex.EX_TEMPFAIL, "4.2.2")
    assert files(tmp_path, "tmp") == files(tmp_path, "new") == []


def test_failed_link_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def link(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EIO, "Input/output error")
    monkeypatch.setattr(maildir_mod.os, "link", link)
    outcome = deliver(tmp_path)
    assert outcome.retry and "Link" in outcome.text
    assert files(tmp_path, "tmp") == files(tmp_path, "new") == []


def test_unsynced_new_folder_takes_the_message_back(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    real_fsync = os.fsync
    new_dirs: list[int] = []

    def fsync(fd: int) -> None:
        if os.path.basename(os.readlink(f"/proc/self/fd/{fd}")) == "new":
            new_dirs.append(fd)
            raise OSError(errno.EIO, "Input/output error")
        real_fsync(fd)
    monkeypatch.setattr(maildir_mod.os, "fsync", fsync)
    outcome = deliver(tmp_path)
    assert new_dirs and outcome.retry and outcome.text.startswith("Deferred: Sync ")
    assert files(tmp_path, "tmp") == files(tmp_path, "new") == []


def test_full_file_system_leaves_nothing(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "mail", "256k") as base:
        assert deliver(base).ok
        fill(base, leave=4096)
        outcome = deliver(base, b"Subject: big\n\n" + b"y" * 100_000 + b"\n")
        assert (outcome.exit, outcome.dsn) == (ex.EX_TEMPFAIL, "4.2.2")
        assert files(base, "tmp") == [] and len(files(base, "new")) == 1


def test_first_deliveries_at_once_make_one_maildir(tmp_path: Path) -> None:
    """Threads racing to make the same new maildir never see it before it is the user's."""
    require_root()
    owner = MailboxOwner(UID, GID, True)
    for round_ in range(20):
        base = tmp_path / str(round_)
        base.mkdir()
        with ThreadPoolExecutor(8) as pool:
            outcomes = list(pool.map(lambda i: deliver(base, owner=owner), range(8)))
        assert all(o.ok for o in outcomes), [o for o in outcomes if not o.ok]
        assert len(files(base, "new")) == 8


def test_maildir_left_as_roots_is_a_temporary_refusal(tmp_path: Path) -> None:
    """Another process between its mkdir and its chown looks like this; so does a crash
    there, which the administrator has to mend."""
    require_root()
    (tmp_path / "joe").mkdir()
    outcome = deliver(tmp_path, owner=MailboxOwner(UID, GID, True))
    assert outcome.retry and "not yet its user's (owned by 0)" in outcome.text
