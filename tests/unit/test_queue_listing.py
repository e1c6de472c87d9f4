"""The mailq layout (pure parts); tests/queue/test_mailq_oracle.py compares whole listings
with real sendmail's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from monomail.queue.listing import (Filters, Listed, LoadLimits, print_counts, print_queue,
                                    prtstr, selected, should_queue)
from monomail.queue.qfcodec import ControlFile, Envelope, Recipient, RecipientState
from monomail.queue.store import QueueStore

ROOT = Path(__file__).parents[2]


def control(qid: str = "6AP3HY1D031232", sender: str = "joe@example.com", priority: int = 0,
            reason: str | None = None, **env: object) -> ControlFile:
    envelope = Envelope(sender, (Recipient("ann@example.org"),
                                 Recipient("bob@example.org", RecipientState.SENT)),
                        priority=priority, **env)  # type: ignore[arg-type]
    return ControlFile(qid, envelope, created=1795577000, next_try=1795577000, size=130,
                       reason=reason)


@pytest.mark.parametrize("text, width, out", [
    ("joe@example.com", 39, "joe@example.com"),
    ("abcdef", 3, "abc"),
    ("a\\b", 3, "a\\\\"),
    ("ab\\", 3, "ab"),               # no room for the doubled backslash
    ("j\u00f6rg", 39, "j\\303\\266rg"),
    ("ab\u00f6", 5, "ab"),           # an escape needs 4 columns
    ("a\tb", 39, "a\\011b"),
])
def test_prtstr(text: str, width: int, out: str) -> None:
    assert prtstr(text, width) == out


def test_entry_layout_and_order() -> None:
    listing = print_queue("/q", [Listed(control("6AP3HY1E031232", priority=900)),
                                 Listed(control(priority=100, reason="Deferred: x" * 10,
                                                body_type="8BITMIME", header_size=30), True)])
    assert listing.splitlines() == [
        "\t\t/q (2 requests)",
        "-----Q-ID----- --Size-- -----Q-Time----- ------------Sender/Recipient-----------",
        "6AP3HY1D031232*     100 " + __import__("time").ctime(1795577000)[:16] + " joe@example.com",
        "      8BITMIME   (" + ("Deferred: x" * 10)[:60] + ")",
        "\t\t\t\t\t ann@example.org",
        "6AP3HY1E031232      130 " + __import__("time").ctime(1795577000)[:16] + " joe@example.com",
        "\t\t\t\t\t ann@example.org",
        "\t\tTotal requests: 2",
    ]
    verbose = print_queue("/q", [Listed(control(reason="r" * 200))], verbose=True).splitlines()
    assert verbose[2].startswith("6AP3HY1D031232      130          0 ")
    assert verbose[3] == " " * 17 + "(" + "r" * 100 + ")" and verbose[4] == "\t\t\t\t\t\tann@example.org"


def test_null_sender_and_empty_queue() -> None:
    assert "<>" in print_queue("/q", [Listed(control(sender=""))])
    assert print_queue("/q", []) == "/q is empty\n\t\tTotal requests: 0\n"
    assert print_counts("/q", 0) == "/q is empty\n\t\tTotal requests: 0\n"
    assert print_counts("/q", 3) == "/q: entries=3\n\t\tTotal requests: 3\n"


@pytest.mark.parametrize("filters, chosen", [
    (Filters(), True),
    (Filters(ids=(("qf6AP3", False),)), True),
    (Filters(ids=(("6ap3", False),)), False),                 # ids are case-sensitive
    (Filters(recipients=(("ANN", False),)), True),
    (Filters(recipients=(("bob", False),)), False),           # bob was delivered already
    (Filters(recipients=(("ann", True),)), False),
    (Filters(recipients=(("nobody", False), ("ann", False))), True),
    (Filters(senders=(("JOE", False),)), True),
    (Filters(senders=(("joe", False),), recipients=(("zed", False),)), False),
])
def test_filters(filters: Filters, chosen: bool) -> None:
    assert selected(control(), filters) is chosen


@pytest.mark.parametrize("load, priority, queued", [
    (3, 10 ** 9, False), (8, 600000, False), (8, 600001, True), (10, 200001, True), (10, 200000, False)])
def test_load_average_marker(load: int, priority: int, queued: bool) -> None:
    assert should_queue(priority, LoadLimits(load, 8, 600000)) is queued
    marker = print_queue("/q", [Listed(control(priority=priority))], limits=LoadLimits(load, 8, 600000))
    assert marker.splitlines()[2][14] == ("X" if queued else " ")


def run_cli(queue: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    cf = queue.parent / "empty.cf"
    cf.write_text("V10\nDjmail.example.com\nMlocal, P=/bin/true, F=lsDFM, A=true\n")
    return subprocess.run([sys.executable, "-m", "monomail", "-C", str(cf), "-O",
                           f"QueueDirectory={queue}", *argv], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)


def test_bp_counts_and_usage(tmp_path: Path) -> None:
    store = QueueStore(tmp_path / "q", min_free_blocks=0)
    store.recover()
    store.submit(control().envelope, b"x")
    store.close()
    counted = run_cli(tmp_path / "q", "-bP")
    assert (counted.returncode, counted.stdout) == (0, f"{tmp_path}/q: entries=1\n\t\tTotal requests: 1\n")
    refused = run_cli(tmp_path / "q", "-bp", "-q30m")
    assert refused.returncode == 64 and "is not a listing filter" in refused.stderr
    assert run_cli(tmp_path / "q", "-bt", "-qRx").returncode == 64
