"""Command-line submission as cron, mutt and git send-email use it: the message is in
the queue, with the header cleanup made, when the command exits 0."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from monomail.cleanup import decode
from monomail.queue.store import QueueStore

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "examples" / "quickstart.cf", tmp_path / "site.cf")
    shutil.copy(ROOT / "examples" / "aliases", tmp_path / "aliases")
    (tmp_path / "spool" / "mqueue").mkdir(parents=True)
    return tmp_path


def submit(site: Path, args: list[str], data: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "monomail", "-C", "site.cf", *args],
                          input=data, capture_output=True, cwd=site, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def queued(site: Path) -> list[tuple[list[str], dict[str, str], bytes]]:
    store = QueueStore(site / "spool" / "mqueue", min_free_blocks=0)
    store.recover()
    out = []
    for qid in store.list():
        control = store.load(qid)
        message = decode(store.read_data(qid))
        fields = {f.name.lower(): (f.value or "").strip() for f in message.fields}
        fields["(delete_bcc)"] = str(message.delete_bcc)
        out.append(([r.address for r in control.envelope.recipients], fields, message.body))
    store.close()
    return out


def test_cron_style_message_without_header(site: Path) -> None:
    proc = submit(site, ["-odq", "root"], b"output of a job\n")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b"")
    [(rcpts, fields, body)] = queued(site)
    assert rcpts == ["root"] and body == b"output of a job\n"
    assert {"date", "message-id", "from", "received"} <= set(fields)


def test_git_send_email_style_t_and_i(site: Path) -> None:
    data = (b"From: Joe <joe@example.org>\nTo: Ann <ann@example.net>, bob@example.net\n"
            b"Cc: carol@example.net\nBcc: dave@example.net\nSubject: [PATCH] x\n\n"
            b"patch\n.\nmore after a lone dot\n")
    proc = submit(site, ["-odq", "-i", "-t", "-f", "joe@example.org"], data)
    assert proc.returncode == 0, proc.stdout
    [(rcpts, fields, body)] = queued(site)
    assert rcpts == ["ann@example.net", "bob@example.net", "carol@example.net",
                     "dave@example.net"]
    # kept in the queue, dropped when the message is written out (sendmail's EF_DELETE_BCC)
    assert fields["(delete_bcc)"] == "True" and body.endswith(b".\nmore after a lone dot\n")


def test_lone_dot_ends_input_without_i(site: Path) -> None:
    assert submit(site, ["-odq", "root"], b"Subject: s\n\nfirst\n.\nlost\n").returncode == 0
    [(_, _, body)] = queued(site)
    assert body == b"first\n"


def test_refusals_keep_the_queue_empty(site: Path) -> None:
    none = submit(site, ["-odq"], b"x\n")
    assert (none.returncode, none.stdout) == (64, b"Recipient names must be specified\n")
    bad = submit(site, ["-odq", "<bad", "root"], b"x\n")
    assert (bad.returncode, bad.stdout) == (64, b"<bad... Unbalanced '<'\n")
    injected = submit(site, ["-odq", "-f", "joe\nBcc: x@y", "root"], b"x\n")
    assert injected.returncode == 0
    [(_, fields, _)] = queued(site)
    assert "bcc" not in fields
