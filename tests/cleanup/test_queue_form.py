"""The stored header against sendmail's qf `H` lines, message by message.

Each case is submitted to real sendmail (`-bm -odq`, or an SMTP session on `-bs`)
and to monomail's cleanup stage on the same cf; the qf's header lines, the df body,
what the command line prints and its exit status must be the same."""

from __future__ import annotations

from pathlib import Path

import pytest

import cleanupharness as harness

LONG_LIST = b"To: " + b", ".join(b"user%d@example.com" % i for i in range(40)) + b"\n"
RECEIVED = b"".join(b"Received: from h%d by i%d; Tue, 1 Jan 2019 00:00:00 +0000\n" % (i, i)
                    for i in range(3))

# (id, cf fixture, arguments, input)
CLI_CASES = [
    ("plain", "generic_cf", ["alice"], b"Subject: hi\nTo: bob\n\nbody\n"),
    ("no-headers", "generic_cf", ["alice"], b"just a body line\nsecond\n"),
    ("only-body", "generic_cf", ["alice"], b"\nbody after blank\n"),
    ("empty", "generic_cf", ["alice"], b""),
    ("unix-from-and-dups", "generic_cf", ["alice"],
     b"From someone@x Wed Nov 25 04:00:00 2026\nSubject: s\nSubject: dup\nTo: a\nTo: b\n\nb\n"),
    ("sender-and-name", "generic_cf", ["-f", "someone@example.org", "-F", "Some One", "alice"],
     b"Subject: hi\n\nbody\n"),
    ("full-name-quoted", "generic_cf", ["-F", 'Joe "Q" Public', "alice"],
     b"To: a b c\nCc: (comment) d, \"e f\" <g@h>\nX-Long: aaa\n  bbb\n\nb\n"),
    ("full-name-injection", "generic_cf", ["-F", "Joe\nInjected: yes", "alice"],
     b"Subject: x\n\nb\n"),
    ("empty-full-name", "generic_cf", ["-F", "", "alice"], b"Subject: a\n\nb\n"),
    ("bcc-only", "generic_cf", ["alice"], b"Bcc: zed\n\nb\n"),
    ("bcc-and-to", "generic_cf", ["alice"], b"To: a\nBcc: zed\n\nb\n"),
    ("grab-to-with-arguments", "generic_cf", ["-t", "bob", "frank"],
     b"Subject: hi\nTo: bob, carol\nCc: dave\nBcc: eve\n\nbody\n"),
    ("grab-to-resent", "generic_cf", ["-t"], b"Resent-To: r1\nTo: t1\nSubject: a\n\nbody\n"),
    ("grab-to-nobody", "generic_cf", ["-t"], b"Subject: a\n\nbody\n"),
    ("long-folded", "generic_cf", ["alice"],
     LONG_LIST + b"X-Folded: one\n\ttwo\n  three\nX-Long: " + b"a" * 3000 + b"\n\nb\n"),
    ("address-lists", "generic_cf", ["alice"],
     b"To: a, , b,,c ,\nCc: x @ y . z, \"q, r\" <s@t>, grp: m@n, o@p;, <@route:u@v>\n\nb\n"),
    ("broken-addresses", "generic_cf", ["alice"],
     b"To: (only a comment)\nCc: <unbalanced@x\nFrom: a@b (c\n\nbody\n"),
    ("old-style-list", "generic_cf", ["alice"], b"To: a b c\n\nbody\n"),
    ("eight-bit", "generic_cf", ["alice"],
     b"Subject: \x80\x81\x9f\xff\xfe\x00x\n\n8bit \xe4\x00\n"),
    ("resent", "generic_cf", ["alice"],
     b"Resent-From: x\nResent-To: y\n" + RECEIVED +
     b"Date: Tue, 1 Jan 2019 00:00:00 +0000\nMessage-Id: <abc@d>\nFrom: Me <me@x.org>\n\nb\n"),
    ("missing-from-date-msgid", "generic_cf", ["alice"], b"Subject: x\nTo: y\n\nb\n"),
    ("user-supplies-defaults", "generic_cf", ["alice"],
     b"Return-Path: <forged@x>\nFull-Name: Mr. X\nContent-Length: 3\n"
     b"X-Authentication-Warning: y\n\nbody\n"),
    ("empty-fields", "generic_cf", ["alice"], b"Subject : spaced\nX-Empty:\nDate:\nFrom:\n\nb\n"),
    ("from-like-sender", "generic_cf", ["alice"], b"From:root\n\nbody"),
    ("from-unlike-sender", "generic_cf", ["alice"], b"From: root\n\nbody"),
    ("end-of-header-field", "generic_cf", ["alice"], b"Subject: a\nText: hello\nnext\n\nbody\n"),
    ("mime-boundary-line", "generic_cf", ["alice"], b"--boundary: x\nSubject: y\n\nbody\n"),
    ("bad-field-name", "generic_cf", ["alice"], b"Subject: a\nX\x7fY: z\nA: b\n\nbody\n"),
    ("dots", "generic_cf", ["alice"], b"Subject: a\n\nline1\n..dots\n.single\n.\nafter\n"),
    ("dots-ignored", "generic_cf", ["-i", "alice"], b"Subject: a\n\nline1\n..dots\n.\nafter\n"),
    ("crlf", "generic_cf", ["alice"], b"Subject: a\r\nX: b\r\r\n\r\nl1\rbare\r\n.\r\n"),
    ("dot-at-end", "generic_cf", ["-i", "alice"], b"Subject: a\n\nl1\n."),
    ("unterminated-field", "generic_cf", ["alice"], b"A: b\nSubject: x"),
    ("classes", "generic_cf", ["alice"],
     b"Precedence: bulk\nPriority: urgent\nContent-Type: text/plain; charset=x\n\nb\n"),
    ("other-address-fields", "generic_cf", ["alice"],
     b"Sender: s\nReply-To: r\nErrors-To: e\nResent-Sender: rs\n"
     b"Disposition-Notification-To: d\n\nb\n"),
    ("two-recipients", "generic_cf", ["alice", "alice"], b"Subject: a\n\nb\n"),
    ("null-sender", "generic_cf", ["-f", "", "alice"], b"Subject: a\n\nb\n"),
    ("add-to", "generic_cf", ["-O", "NoRecipientAction=add-to", "alice", "bob"],
     b"Subject: x\n\nb\n"),
    ("add-to-undisclosed", "generic_cf", ["-O", "NoRecipientAction=add-to-undisclosed", "a"],
     b"Subject: x\n\nb\n"),
    ("add-bcc", "generic_cf", ["-O", "NoRecipientAction=add-bcc", "alice"], b"Subject: x\n\nb\n"),
    ("add-apparently-to", "generic_cf", ["-O", "NoRecipientAction=add-apparently-to", "a"],
     b"Subject: x\n\nb\n"),
    ("strict-8bit-mime", "generic_cf", ["-O", "EightBitMode=s", "alice"],
     b"Subject: a\nMIME-Version: 1.0\n\nbody\xe4\n"),
    ("strict-8bit", "generic_cf", ["-O", "EightBitMode=s", "alice"], b"Subject: a\n\nbody\xe4\n"),
    ("reject-nul", "generic_cf", ["-O", "RejectNUL=true", "alice"], b"Subject: a\n\nbo\0dy\n"),
    ("headers-too-large", "generic_cf", ["-O", "MaxHeadersLength=40", "alice"],
     b"Subject: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nX: y\n\nbody\n"),
    ("first-line-too-large", "generic_cf", ["alice"], b"x" * 40000 + b"\n"),
    ("message-too-big", "generic_cf", ["-O", "MaxMessageSize=30", "alice"],
     b"Subject: a\n\nbodyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\n"),
    ("untrusted-sender", "untrusted_cf", ["-f", "evil@example.org", "alice"],
     b"Subject: x\n\nb\n"),
    ("untrusted-self", "untrusted_cf", ["-f", "root", "alice"], b"Subject: x\n\nb\n"),
    ("untrusted-local", "untrusted_cf", ["-f", "daemon", "alice"], b"Subject: x\n\nb\n"),
    ("sender-injection", "untrusted_cf", ["-f", "a\nX-Evil: 1@example.org", "alice"],
     b"Subject: a\n\nb\n"),
    ("header-check-error", "checks_cf", ["alice"], b"Subject: a bad one\n\nbody\n"),
    ("header-check-tempfail", "checks_cf", ["alice"], b"Subject: tempfail\n\nbody\n"),
    ("header-check-discard", "checks_cf", ["alice"], b"X-Spam: discard (me)\nSubject: ok\n\nb\n"),
    ("example-cf", "example_cf", ["-F", "Some One", "alice"], b"Subject: hi\nCc: a b\n\nbody\n"),
]


@pytest.mark.parametrize("cf_name,args,data", [c[1:] for c in CLI_CASES],
                         ids=[c[0] for c in CLI_CASES])
def test_command_line_submission(sm: harness.Oracle, request: pytest.FixtureRequest,
                                 cf_name: str, args: list[str], data: bytes) -> None:
    cf: Path = request.getfixturevalue(cf_name)
    queued = sm.submit(cf, args, data)
    ours = harness.ours_cli(cf, harness.Invocation.parse(args), data, queued.qid, queued.ctime)
    assert harness.printed(ours) == queued.output
    assert harness.finis(ours.outcome.exit_status) == queued.rc
    if queued.header is None:
        assert ours.outcome.clear_queue or ours.outcome.discard or not ours.outcome.accepted
        return
    assert not ours.outcome.clear_queue
    assert harness.lines(ours.header) == harness.lines(queued.header)
    assert ours.outcome.message.body == queued.body


SMTP_CASES = [
    ("dots-and-blank", b"Subject: x\r\n..dot\r\n\r\n.body\r\n..two\r\n.\r\n", (b"<alice>",)),
    ("dot-space-line", b"Subject: x\r\n. folded?\r\n\r\nbody\r\n.\r\n", (b"<alice>",)),
    ("folded-two-rcpts", b"Subject: x\r\n\tfolded\r\nFrom: a@b\r\n\r\nbody\r\n.\r\n",
     (b"<alice>", b"<bob>")),
    ("unix-from", b"From x Wed Nov 25 04:00:00 2026\r\nSubject: x\r\n\r\nbody\r\n.\r\n",
     (b"<alice>",)),
    ("nul", b"Subject: x\r\n\r\nbody\x00nul\r\n.\r\n", (b"<alice>",)),
    ("bare-cr", b"Subject: x\r\n\r\nbody\rcr\r\n.\r\n", (b"<alice>",)),
    ("cr-cr-lf", b"Subject: x\r\n\r\nbody\r\r\n.\r\n", (b"<alice>",)),
    ("bare-lf", b"Subject: x\r\n\r\nbody\n.\r\n", (b"<alice>",)),
    ("bare-lf-end", b"Subject: x\r\n\r\nbody\r\n.\n", (b"<alice>",)),
    ("bare-cr-header", b"Subject: x\rcr\r\n\r\nbody\r\n.\r\n", (b"<alice>",)),
]


@pytest.mark.parametrize("data,rcpts", [c[1:] for c in SMTP_CASES], ids=[c[0] for c in SMTP_CASES])
@pytest.mark.parametrize("helo", [b"HELO client.example.net", b"EHLO client.example.net"])
def test_smtp_submission(sm: harness.Oracle, generic_cf: Path, helo: bytes, data: bytes,
                         rcpts: tuple[bytes, ...]) -> None:
    mail = b"<joe@mail.example.com>"
    commands = [helo, b"MAIL FROM:" + mail] + [b"RCPT TO:" + r for r in rcpts] + [b"DATA"]
    queued, replies = sm.smtp(generic_cf, commands + [b"QUIT"], data)
    ours = harness.ours_smtp(generic_cf, helo, mail, rcpts, data, queued.qid, queued.ctime)
    data_reply = replies[len(commands) + 1].decode()
    if queued.header is None:
        assert ours.outcome.reply is not None
        assert data_reply == ours.outcome.reply.reply + "\r\n"
        return
    assert ours.outcome.accepted and data_reply.startswith("250 ")
    assert harness.lines(ours.header) == harness.lines(queued.header)
    assert ours.outcome.message.body == queued.body
