"""mbox delivery: the entry format (checked against real mail.local), the mailbox checks,
locking, and that a failed delivery leaves the mailbox exactly as it was."""

from __future__ import annotations

import errno
import mailbox
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from deliver_support import (GID, QUICK_LOCKS, UID, fill, require_root, run_in_namespace,
                             sendmail_helper, tmpfs)
from monomail import sysexits as ex
from monomail.deliver import mbox as mbox_mod
from monomail.deliver.mbox import MailboxOwner, append_entry, from_line, mbox_entry
from monomail.deliver.mboxlock import is_stale

WHEN = 1795577000.0
MINE = MailboxOwner(os.geteuid(), os.getegid(), give=False)
MESSAGES = [
    b"Subject: plain\n\nhello\n",
    b"Subject: crlf\r\n\r\nline one\r\nline two\r\n",
    b"Subject: no final newline\n\nlast line",
    b"Subject: from lines\n\nFrom the start\n\nFrom after a blank line\n>From quoted once\n"
    b">>From twice\nnot From at the start\n",
    b"Subject: empty body\n\n",
    b"Subject: 8bit\n\n\xe9t\xe9 \x00 nul\n",
    b"Subject: long\n\n" + b"x" * 5000 + b"\n",
    b"From: Ann <ann@example.org>\nTo: joe\nSubject: folded\n  header\n\n.\n..\n\tFrom tab\n",
    b"Subject: crlf and cr\r\n\r\nbare\rcr\r\n\r\n\r\n",
]


def unquote(text: bytes) -> bytes:
    """What an mboxrd reader does to a message body."""
    return re.sub(rb"^>(>*From )", rb"\1", text, flags=re.MULTILINE)


def entry(message: bytes, sender: str = "joe@example.com") -> bytes:
    return mbox_entry(message, from_line(sender, WHEN))


def test_entries_read_back_exactly_with_pythons_mailbox(tmp_path: Path) -> None:
    path = tmp_path / "joe"
    for message in MESSAGES:
        assert append_entry(str(path), entry(message), MINE, QUICK_LOCKS).ok
    box = mailbox.mbox(str(path), create=False)
    assert len(box) == len(MESSAGES)
    for message, key in zip(MESSAGES, box.keys()):
        assert box.get_message(key).get_from() == f"joe@example.com {time.ctime(WHEN)}"
        expected = message.replace(b"\r\n", b"\n")
        expected += b"" if expected.endswith(b"\n") else b"\n"
        assert unquote(box.get_bytes(key)) == expected


def test_entry_layout() -> None:
    assert entry(b"a\r\nb") == f"From joe@example.com {time.ctime(WHEN)}\n".encode() + b"a\nb\n\n"
    assert entry(b"x\nFrom y\n>From z\n").endswith(b"x\n>From y\n>>From z\n\n")


def test_from_line_sender() -> None:
    assert from_line("", WHEN).startswith(b"From MAILER-DAEMON ")
    assert from_line("<>", WHEN).startswith(b"From MAILER-DAEMON ")
    assert from_line("evil\nFrom: x", WHEN).startswith(b"From evil_From:_x ")


def test_same_entry_as_real_mail_local(tmp_path: Path) -> None:
    """mail.local delivering to a tmpfs /var/mail in a private mount namespace writes what
    mbox_entry writes, but for the Content-Length header Debian builds it to add (it then
    quotes no `From ` line of the body, so the corpus has none there).  A message without
    a final newline is left out (mail.local writes leftovers of its line buffer after it),
    and one with a NUL (mail.local adds a newline when the last line has one)."""
    mail_local = sendmail_helper("mail.local")
    corpus = [m for m in MESSAGES if not re.search(rb"(?m)^From |\0", m) and m.endswith(b"\n")]
    assert len(corpus) >= 5
    for i, message in enumerate(corpus):
        work = tmp_path / str(i)
        work.mkdir()
        proc = run_in_namespace("mount -t tmpfs tmpfs /var/mail",
                                ["sh", "-c", f'{mail_local} -f "$0" root && cat /var/mail/root',
                                 "joe@example.com"], message, work)
        assert proc.returncode == 0, proc.stderr
        date = re.match(rb"From joe@example.com (.*)\n", proc.stdout)
        assert date, proc.stdout[:80]
        when = time.mktime(time.strptime(date.group(1).decode(), "%a %b %d %H:%M:%S %Y"))
        theirs = re.sub(rb"(?m)^Content-Length: \d+\n", b"", proc.stdout, count=1)
        assert entry(message).replace(from_line("joe@example.com", WHEN),
                                      from_line("joe@example.com", when)) == theirs


def test_new_mailbox_is_0600_and_given_to_its_user(tmp_path: Path) -> None:
    require_root()
    path = tmp_path / "ann"
    outcome = append_entry(str(path), entry(b"hi\n"), MailboxOwner(UID, GID, True), QUICK_LOCKS)
    assert outcome.ok, outcome
    st = path.stat()
    assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (0o600, UID, GID)
    assert not (tmp_path / "ann.lock").exists()


def test_new_mailbox_is_our_own_when_not_root(tmp_path: Path) -> None:
    path = tmp_path / "ann"
    old = os.umask(0)
    try:
        assert append_entry(str(path), entry(b"hi\n"), MINE, QUICK_LOCKS).ok
    finally:
        os.umask(old)
    assert (path.stat().st_mode & 0o7777, path.stat().st_uid) == (0o600, os.geteuid())


def refused(path: Path, owner: MailboxOwner = MINE):
    outcome = append_entry(str(path), entry(b"hi\n"), owner, QUICK_LOCKS)
    assert not outcome.ok and not outcome.retry, outcome
    return outcome


def test_symlinked_mailbox_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "passwd"
    target.write_bytes(b"root:x:0:0\n")
    (tmp_path / "joe").symlink_to(target)
    outcome = refused(tmp_path / "joe")
    assert "irregular file" in outcome.text and outcome.dsn == "5.2.0"
    assert target.read_bytes() == b"root:x:0:0\n"


def test_hard_linked_mailbox_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "other"
    target.write_bytes(b"")
    os.link(target, tmp_path / "joe")
    assert "too many links" in refused(tmp_path / "joe").text
    assert target.read_bytes() == b""


def test_fifo_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "joe")
    assert "irregular file" in refused(tmp_path / "joe").text


def test_mailbox_of_someone_else_is_refused(tmp_path: Path) -> None:
    require_root()
    path = tmp_path / "joe"
    path.write_bytes(b"")
    os.chown(path, UID + 1, GID)
    outcome = refused(path, MailboxOwner(UID, GID, True))
    assert outcome.exit == ex.EX_CANTCREAT and f"wrong ownership ({UID + 1})" in outcome.text


def failing_write(after: int, err: int):
    """A write_all that puts `after` bytes into the file and then fails with `err`."""
    def write_all(fd: int, data: bytes) -> None:
        os.write(fd, data[:after])
        raise OSError(err, os.strerror(err))
    return write_all


@pytest.mark.parametrize("err, dsn", [(errno.ENOSPC, "4.2.2"), (errno.EDQUOT, "4.2.2"),
                                      (errno.EIO, "4.2.0")])
def test_failed_write_cuts_the_mailbox_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            err: int, dsn: str) -> None:
    path = tmp_path / "joe"
    assert append_entry(str(path), entry(MESSAGES[0]), MINE, QUICK_LOCKS).ok
    before = path.read_bytes()
    monkeypatch.setattr(mbox_mod, "write_all", failing_write(30, err))
    outcome = append_entry(str(path), entry(MESSAGES[3]), MINE, QUICK_LOCKS)
    assert (outcome.exit, outcome.dsn, outcome.retry) == (ex.EX_TEMPFAIL, dsn, True)
    assert outcome.text.startswith(f"Deferred: Write {path}: ")
    assert path.read_bytes() == before
    assert not (tmp_path / "joe.lock").exists()


def test_failed_sync_cuts_the_mailbox_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "joe"
    path.write_bytes(b"")
    calls = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 1:
            raise OSError(errno.EIO, "I/O error")
        real_fsync(fd)
    monkeypatch.setattr(mbox_mod.os, "fsync", fsync)
    outcome = append_entry(str(path), entry(b"x\n"), MINE, QUICK_LOCKS)
    assert outcome.retry and outcome.text == f"Deferred: Sync {path}: Input/output error"
    assert path.read_bytes() == b""


def test_full_file_system_leaves_old_mail_intact(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "spool", "256k") as spool:
        path = spool / "joe"
        assert append_entry(str(path), entry(MESSAGES[0]), MINE, QUICK_LOCKS).ok
        before = path.read_bytes()
        fill(spool, leave=8192)
        big = b"Subject: big\n\n" + b"y" * 200_000 + b"\n"
        outcome = append_entry(str(path), entry(big), MINE, QUICK_LOCKS)
        assert (outcome.exit, outcome.dsn) == (ex.EX_TEMPFAIL, "4.2.2")
        assert path.read_bytes() == before
        (spool / "filler").unlink()
        assert append_entry(str(path), entry(MESSAGES[1]), MINE, QUICK_LOCKS).ok
        assert [m["subject"] for m in mailbox.mbox(str(path))] == ["plain", "crlf"]


def test_stale_dot_lock_of_a_dead_process_is_removed(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    (tmp_path / "joe.lock").write_text(f"{dead.pid}\n")
    assert append_entry(str(tmp_path / "joe"), entry(b"x\n"), MINE, QUICK_LOCKS).ok
    assert not (tmp_path / "joe.lock").exists()


def test_old_dot_lock_without_pid_is_stale(tmp_path: Path) -> None:
    lock = tmp_path / "joe.lock"
    lock.write_bytes(b"")
    assert not is_stale(str(lock), 300)
    os.utime(lock, (time.time() - 301, time.time() - 301))
    assert is_stale(str(lock), 300)


def test_live_dot_lock_defers_and_is_left_alone(tmp_path: Path) -> None:
    holder = subprocess.Popen(["sleep", "30"])
    try:
        (tmp_path / "joe.lock").write_text(f"{holder.pid}\n")
        outcome = append_entry(str(tmp_path / "joe"), entry(b"x\n"), MINE, QUICK_LOCKS)
    finally:
        holder.kill()
        holder.wait()
    assert (outcome.exit, outcome.dsn) == (ex.EX_TEMPFAIL, "4.3.0")
    assert outcome.text.startswith(f"Deferred: lockmailbox {tmp_path}/joe failed")
    assert (tmp_path / "joe.lock").read_text() == f"{holder.pid}\n"
    assert not (tmp_path / "joe").exists()


def test_pythons_mailbox_lock_keeps_us_out(tmp_path: Path) -> None:
    """A reader holding `mailbox.mbox.lock()` (dot-lock and lockf) in another process."""
    path = tmp_path / "joe"
    path.write_bytes(b"")
    reader = subprocess.Popen(
        [sys.executable, "-c", "import mailbox, sys; b = mailbox.mbox(sys.argv[1]); b.lock(); "
         "print('locked', flush=True); sys.stdin.read(); b.unlock()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline() == "locked\n"
        outcome = append_entry(str(path), entry(b"x\n"), MINE, QUICK_LOCKS)
        assert outcome.retry
    finally:
        reader.communicate("")
    assert path.read_bytes() == b""
    assert append_entry(str(path), entry(b"x\n"), MINE, QUICK_LOCKS).ok


@pytest.mark.parametrize("kind", ["lockf", "flock"])
def test_kernel_lock_of_another_process_defers(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "joe"
    path.write_bytes(b"")
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import fcntl, sys; f = open(sys.argv[1], 'a'); "
         f"fcntl.{kind}(f, fcntl.LOCK_EX); print('locked', flush=True); sys.stdin.read()",
         str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        outcome = append_entry(str(path), entry(b"x\n"), MINE, QUICK_LOCKS)
    finally:
        holder.communicate("")
    assert outcome.retry and outcome.text.startswith(f"Deferred: Lock {path}: ")
    assert path.read_bytes() == b""
    assert not (tmp_path / "joe.lock").exists()


def test_concurrent_deliveries_to_one_mailbox_all_arrive_whole(tmp_path: Path) -> None:
    path = tmp_path / "joe"
    outcomes = []

    def deliver(i: int) -> None:
        outcomes.append(append_entry(str(path), entry(f"Subject: {i}\n\n".encode()
                                                      + b"z" * 10_000 + b"\n"),
                                     MINE, QUICK_LOCKS))
    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(o.ok for o in outcomes)
    box = mailbox.mbox(str(path))
    assert sorted(int(m["subject"]) for m in box) == list(range(20))
    assert all(m.get_payload() == "z" * 10_000 + "\n" for m in box)
