"""What a mailer receives, against sendmail's queue run into capture mailers.

sendmail queues the message (-odq) and then runs its queue in the foreground
(-qf); the local mailer and an SMTP-like mailer (`capsmtp`: header rules of the
SMTP mailers, CR LF, L=990) are programs that save their input.  monomail renders
its own stored message for the same mailers; the octets must be equal, Unix From
line included (its date is the run's, read from sendmail's line)."""

from __future__ import annotations

from pathlib import Path

import pytest

import cleanupharness as harness

RECIPIENTS = ["root", f"joe@{harness.CAPTURE_HOST}"]
CASES = [
    ("plain", [], b"Subject: hi\nTo: root, someone@cap2.test\nCc: Joe <joe@cap2.test>, bob\n\n"
                  b"body\nFrom me\n.\n"),
    ("full-name-bcc", ["-F", "Real Name"], b"Subject: hi\nBcc: x\nTo: a\n\nbody\n"),
    ("bcc-emptied", [], b"Subject: hi\nBcc: x\n\n" + b"x" * 3000 + b"\nshort\n"),
    ("long-list-8bit", [], b"To: " + b", ".join(b"u%d" % i for i in range(40)) +
     b"\nX-8: \xe4\x81\xff\n\n\xe4\n"),
    ("resent-receipt", ["-f", f"other@{harness.CAPTURE_HOST}"],
     b"Resent-From: rs\nResent-To: r1\nFrom: (c) x\nReturn-Receipt-To: y\n\nb\n"),
    ("no-newline-at-end", [], b"Subject: x\n\nlast line without newline"),
    ("folded-and-groups", [], b"To: grp: a, b;, (c) d\nX-F: one\n two\nCc: \"Q, R\" <q@r>\n\nb\n"),
]


@pytest.mark.parametrize("args,data", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_mailer_input(sm: harness.Oracle, capture_cf: Path, capture_out: Path,
                      args: list[str], data: bytes) -> None:
    queued, delivered = sm.deliver(capture_cf, [*args, *RECIPIENTS], data, capture_out)
    assert sorted(delivered) == ["capsmtp", "local"], queued.output
    ours = harness.ours_cli(capture_cf, harness.Invocation.parse([*args, *RECIPIENTS]), data,
                            queued.qid, queued.ctime)
    for mailer, received in delivered.items():
        unix_date = received.split(b"\n", 1)[0].rstrip(b"\r")[-24:].decode()
        assert harness.ours_render(ours, mailer, unix_date) == received, mailer
