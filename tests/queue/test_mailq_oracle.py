"""monomail -bp against real sendmail -bp on the same messages.

sendmail queues messages (`sendmail -odq`), one of them gets a delivery attempt that defers
(the smart host is unreachable: the sandbox has no network), and `sendmail -bp` lists them.
The same messages are then put into a monomail queue (sender, recipients in qf order, body
type, priority, time, body size and the deferral text, read back from sendmail's qf files at
test time) and `monomail -bp` must print the same listing: queue ids and the directory are the
only differences masked.
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import oracle
import pytest

from monomail.queue.qfcodec import Envelope, Recipient
from monomail.queue.store import QueueStore

ROOT = Path(__file__).resolve().parents[2]
MC = """divert(0)dnl
OSTYPE(`linux')dnl
define(`confDOMAIN_NAME', `mail.example.com')dnl
define(`confCW_FILE', `-o {settings}/local-host-names')dnl
define(`confSERVICE_SWITCH_FILE', `{settings}/service.switch')dnl
define(`confHOSTS_FILE', `{settings}/hosts')dnl
define(`SMART_HOST', `[127.0.0.1]')dnl
MAILER(`local')dnl
MAILER(`smtp')dnl
"""
# (sender, recipients, body, -B body type): bodies 1,000 bytes apart give distinct
# priorities whatever the headers add (sendmail sorts equal ones in no fixed order)
MESSAGES = [
    ("joe@example.com", ["ann@example.org"], "hello\n" * 150, None),
    ("joe@example.com", ["bob@example.org", "carl@example.net"], "hello again\n" * 200, None),
    ("<>", ["verylongrecipientname.withmanyparts.and.more@subdomain.example.org"], "x\n" * 1500,
     None),
    ("verylongsendername.withmanyparts.and.more@subdomain.example.org", ["j\\$rg@example.org"],
     "bonjour\n" * 500, "8BITMIME"),
    ("j\u00f6rg@example.org", ["dan@example.org"], "caf\u00e9 au lait\n" * 350, "8BITMIME"),
]
DEFERRED = 1        # this message gets a delivery attempt (sendmail -qI)


@dataclasses.dataclass
class Queued:
    """What sendmail's qf says about one message."""

    qid: str
    created: int
    priority: int
    sender: str
    recipients: list[str]
    body_type: str | None
    reason: str | None
    body_size: int


def read_qf(path: Path) -> Queued:
    fields: dict[str, list[str]] = {}
    for line in path.read_bytes().decode("utf-8", "surrogateescape").splitlines():
        if line[:1] in "TPSRMB":
            fields.setdefault(line[0], []).append(line[1:])
    size = (path.parent / ("df" + path.name[2:])).stat().st_size
    return Queued(path.name[2:], int(fields["T"][0]), int(fields["P"][0]), fields["S"][0],
                  [r.split(":", 1)[1] for r in fields["R"]], (fields.get("B") or [None])[0],
                  (fields.get("M") or [None])[0], size)


@pytest.fixture(scope="module")
def work(sendmail: oracle.Program, bt_work_root: Path) -> Path:
    folder = bt_work_root / "mailq"
    (folder / "settings").mkdir(parents=True)
    (folder / "settings" / "service.switch").write_text("hosts files\n")
    (folder / "settings" / "hosts").write_text("127.0.0.1 localhost\n")
    mc = folder / "mailq.mc"
    mc.write_text(MC.replace("{settings}", str(folder / "settings")))
    oracle.build_sendmail_cf(mc, folder / "mailq.cf")
    return folder


def run_sendmail(sendmail: oracle.Program, argv: list[str], stdin: bytes = b"") -> str:
    proc = subprocess.run(oracle.sandbox_argv([*sendmail.argv, *argv], [], oracle.HOSTNAME),
                          input=stdin, capture_output=True, env={**os.environ, **sendmail.env},
                          timeout=120)
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
    return proc.stdout.decode("utf-8", "surrogateescape")


@pytest.fixture(scope="module")
def sendmail_queue(sendmail: oracle.Program, work: Path) -> Path:
    queue = work / "smqueue"
    queue.mkdir(mode=0o700)
    common = ["-C", str(work / "mailq.cf"), "-O", f"QueueDirectory={queue}"]
    for sender, rcpts, body, body_type in MESSAGES:
        flags = ["-B" + body_type] if body_type else []
        run_sendmail(sendmail, ["-odq", *flags, *common, "-f", sender, *rcpts],
                     f"Subject: test\n\n{body}".encode())
    deferred = sorted(queue.glob("qf*"), key=lambda p: read_qf(p).body_size)[DEFERRED]
    # -qf: in the foreground, so the deferral is in the qf before we read it
    run_sendmail(sendmail, ["-qf", "-qI" + deferred.name[2:], *common])
    priorities = [read_qf(qf).priority for qf in queue.glob("qf*")]
    assert len(set(priorities)) == len(MESSAGES), priorities
    return queue


@pytest.fixture(scope="module")
def our_queue(sendmail_queue: Path, work: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """The same messages in a monomail queue; maps sendmail's ids to ours."""
    directory = work / "ourqueue"
    ids = {}
    for qf in sorted(sendmail_queue.glob("qf*")):
        q = read_qf(qf)
        store = QueueStore(directory, min_free_blocks=0, clock=lambda: float(q.created))
        store.recover()
        headers = b"Subject: test\r\n\r\n"
        env = Envelope("" if q.sender == "<>" else q.sender,
                       tuple(Recipient(r) for r in q.recipients), body_type=q.body_type,
                       priority=q.priority, header_size=len(headers))
        qid = store.submit(env, headers + b"b" * q.body_size)
        if q.reason:
            store.update(qid, lambda cf: dataclasses.replace(cf, reason=q.reason))
        ids[q.qid] = qid
        store.close()
    yield directory, ids


def run_monomail(work: Path, queue: Path, argv: list[str], prog: str = "monomail") -> str:
    code = f"import sys; from monomail.cli.main import main; sys.exit(main(prog={prog!r}))"
    proc = subprocess.run([sys.executable, "-c", code, "-C", str(work / "mailq.cf"),
                           "-O", f"QueueDirectory={queue}", *argv], capture_output=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
    return proc.stdout.decode("utf-8", "surrogateescape")


def masked(text: str, directory: Path, ids: list[str]) -> str:
    text = text.replace(str(directory), "QUEUE")
    for qid in ids:
        text = text.replace(qid, "QUEUE-ID")
    return text


def compare(sendmail: oracle.Program, work: Path, sendmail_queue: Path,
            our_queue: tuple[Path, dict[str, str]], argv: list[str],
            ours_argv: list[str] | None = None) -> str:
    directory, ids = our_queue
    theirs = run_sendmail(sendmail, ["-C", str(work / "mailq.cf"),
                                     "-O", f"QueueDirectory={sendmail_queue}", *argv])
    mine = run_monomail(work, directory, ours_argv if ours_argv is not None else argv)
    expected = masked(theirs, sendmail_queue, list(ids))
    assert masked(mine, directory, list(ids.values())) == expected
    return expected


@pytest.mark.parametrize("argv", [["-bp"], ["-bp", "-v"], ["-bp", "-qRbob"], ["-bp", "-qRBOB"],
                                  ["-bp", "-q!Sjoe"], ["-bp", "-qSjoe", "-qRnobody"],
                                  ["-bp", "-qIqf"], ["-bp", "-q!Iqf"]])
def test_listing_matches_sendmail(sendmail: oracle.Program, work: Path, sendmail_queue: Path,
                                  our_queue: tuple[Path, dict[str, str]], argv: list[str]) -> None:
    listing = compare(sendmail, work, sendmail_queue, our_queue, argv)
    assert "Total requests" in listing


def test_max_queue_run_size(sendmail: oracle.Program, work: Path, sendmail_queue: Path,
                            our_queue: tuple[Path, dict[str, str]]) -> None:
    """Which 2 of 5 sendmail prints depends on the order of its directory; we print the 2
    it would run first.  The layout is the same."""
    argv = ["-bp", "-O", "MaxQueueRunSize=2"]
    theirs = run_sendmail(sendmail, ["-C", str(work / "mailq.cf"),
                                     "-O", f"QueueDirectory={sendmail_queue}", *argv])
    mine = run_monomail(work, our_queue[0], argv)
    for listing, directory in ((theirs, sendmail_queue), (mine, our_queue[0])):
        lines = listing.splitlines()
        assert lines[0] == f"\t\t{directory} (5 requests, only 2 printed)"
        assert len([line for line in lines if re.match(r"\w{14} ", line)]) == 2
        assert lines[-1] == "\t\tTotal requests: 5"


def test_the_shown_listing_has_every_feature(sendmail: oracle.Program, work: Path,
                                             sendmail_queue: Path,
                                             our_queue: tuple[Path, dict[str, str]]) -> None:
    """Guards against a vacuous comparison: what sendmail printed has what we claim to match."""
    listing = compare(sendmail, work, sendmail_queue, our_queue, ["-bp"])
    assert "(5 requests)" in listing and "(Deferred: [127.0.0.1]: Network is unreachable)" in listing
    assert "  8BITMIME" in listing and "j\\303\\266rg@example.org" in listing
    assert "j\\\\$rg@example.org" in listing and "\t\t\t\t\t dan@example.org\n" in listing
    assert re.search(r"QUEUE-ID +\d+ \w{3} \w{3} [ \d]\d \d\d:\d\d <>\n", listing)


def test_id_filter_with_a_real_id(sendmail: oracle.Program, work: Path, sendmail_queue: Path,
                                  our_queue: tuple[Path, dict[str, str]]) -> None:
    theirs, ours = next(iter(our_queue[1].items()))
    listing = compare(sendmail, work, sendmail_queue, our_queue, ["-bp", "-qI" + theirs[4:]],
                      ["-bp", "-qI" + ours[4:]])
    assert "(1 request)" in listing


def test_a_message_being_worked_on_is_starred(sendmail: oracle.Program, work: Path,
                                              sendmail_queue: Path,
                                              our_queue: tuple[Path, dict[str, str]]) -> None:
    theirs, ours = next(iter(our_queue[1].items()))
    fd = os.open(sendmail_queue / f"qf{theirs}", os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)          # what a sendmail queue runner holds
    store = QueueStore(our_queue[0], min_free_blocks=0)
    assert store.claim(ours)
    try:
        listing = compare(sendmail, work, sendmail_queue, our_queue, ["-bp"])
    finally:
        os.close(fd)
        store.release(ours)
        store.close()
    assert "QUEUE-ID*" in listing


def test_mailq_name_and_empty_queue(sendmail: oracle.Program, work: Path) -> None:
    empty_theirs, empty_ours = work / "empty-sm", work / "empty-ours"
    for folder in (empty_theirs, empty_ours):
        folder.mkdir(mode=0o700)
    theirs = run_sendmail(sendmail, ["-C", str(work / "mailq.cf"),
                                     "-O", f"QueueDirectory={empty_theirs}", "-bp"])
    mine = run_monomail(work, empty_ours, [], prog="/usr/bin/mailq")
    assert mine.replace(str(empty_ours), "Q") == theirs.replace(str(empty_theirs), "Q")
    assert mine == f"{empty_ours} is empty\n\t\tTotal requests: 0\n"


def test_missing_queue_directory(sendmail: oracle.Program, work: Path) -> None:
    argv = [str(work / "mailq.cf"), "-O", f"QueueDirectory={work}/none", "-bp"]
    theirs = subprocess.run(oracle.sandbox_argv([*sendmail.argv, "-C", *argv], [], oracle.HOSTNAME),
                            capture_output=True, env={**os.environ, **sendmail.env}, timeout=120)
    mine = subprocess.run([sys.executable, "-m", "monomail", "-C", *argv], capture_output=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert (mine.stdout, mine.returncode) == (theirs.stdout, theirs.returncode) == \
        (f"can not chdir({work}/none/): No such file or directory\n".encode(), 78)
