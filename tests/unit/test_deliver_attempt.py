"""deliver.attempt: one queued message delivered end to end, into mbox files read back
with `mailbox` and to capture sinks on loopback, with reports delivered in turn and read
back with `email` and flufl.bounce.  The clock is the test's; nothing sleeps."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from typing import Callable

import pytest
from flufl.bounce import scan_message

from delivery_world import MX, World, logged, others, sink
from monomail.queue.qfcodec import Recipient
from monomail.queue.store import UnknownMessageError

pytest_plugins = ["delivery_fixtures"]   # dns, make_world, world

BODY = b"From: Alice <alice@localhost>\nTo: bob@example.org\nSubject: test\n\nHello.\n"
HOUR = 3600


def recipients(world: World, qid: str) -> list[tuple[str, str, str | None]]:
    control = world.store.load(qid)
    return [(r.address, r.state.value, r.status) for r in control.envelope.recipients]


def parsed(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


async def test_local_and_remote_recipients_are_delivered(world: World) -> None:
    async with sink(world) as server:
        sent = world.submit("alice@localhost", ["alice", "bob@example.org"], BODY)
        outcome = await world.deliverer.attempt(sent.qid)
    assert outcome.done and outcome.attempts == 1
    [stored] = world.mbox("alice")
    assert stored["Subject"] == "test" and stored.get_payload() == "Hello.\n"
    assert stored["Return-Path"] == "<alice@localhost.localdomain>"
    [txn] = server.delivered
    assert txn.mail_from == "alice@localhost.localdomain"
    assert txn.rcpt_addresses == ["bob@example.org"]
    assert b"Subject: test\r\n" in (txn.data or b"")
    with pytest.raises(UnknownMessageError):
        world.store.load(sent.qid)
    assert others(world) == []
    assert logged(world, sent.qid, "to=alice,", "ctladdr=alice (4301/4301)", "mailer=local",
                  "dsn=2.0.0", "stat=Sent")
    assert logged(world, sent.qid, "to=bob@example.org,", "mailer=esmtp",
                  f"relay=mx.example.org. [{MX}]", "stat=Sent (Ok: queued as 1)")


async def test_permanent_failure_bounces_to_the_sender(world: World) -> None:
    async with sink(world, rcpt_replies={"bob": "550 5.1.1 <bob@example.org>... no such user"}):
        sent = world.submit("alice@localhost", ["bob@example.org", "nosuchuser"], BODY)
        outcome = await world.deliverer.attempt(sent.qid)
    assert outcome.done
    [report] = others(world)
    control = world.store.load(report)
    assert control.envelope.sender == "" and control.envelope.origin == "report"
    assert [r.address for r in control.envelope.recipients] == ["alice@localhost"]
    assert logged(world, sent.qid, f"{report}: DSN: ")
    assert logged(world, sent.qid, "to=nosuchuser,", "dsn=5.1.1", "stat=User unknown")
    assert logged(world, sent.qid, "to=bob@example.org,", "dsn=5.1.1",
                  "reply=550 5.1.1 <bob@example.org>... no such user", "stat=User unknown")
    assert (await world.deliverer.attempt(report)).done
    [bounce] = world.mbox("alice")
    message = parsed(bounce.as_bytes())
    assert message["Subject"] == "Returned mail: see transcript for details"
    assert message["Auto-Submitted"] == "auto-generated (failure)"
    assert message["From"] == "Mail Delivery Subsystem <MAILER-DAEMON>"   # as local mail shows it
    assert bounce.get_from().startswith("MAILER-DAEMON ")
    assert message.get_content_type() == "multipart/report"
    text, status, returned = message.iter_parts()
    body = text.get_content()
    assert "bob@example.org\n    (reason: 550 5.1.1 <bob@example.org>... no such user)" in body
    assert "   ----- Transcript of session follows -----" in body
    assert "550 5.1.1 nosuchuser... User unknown\n" in body
    assert "<<< 550 5.1.1 <bob@example.org>... no such user\n" in body
    fields = status.get_payload()
    assert [f["Final-Recipient"] for f in fields[1:]] == [
        "RFC822; nosuchuser@localhost.localdomain", "RFC822; bob@example.org"]
    assert [f["Status"] for f in fields[1:]] == ["5.1.1", "5.1.1"]
    assert returned.get_content_type() == "message/rfc822"
    assert returned.get_payload()[0]["Subject"] == "test"
    assert scan_message(message) == {b"bob@example.org", b"nosuchuser@localhost.localdomain"}
    assert others(world) == []


async def test_temporary_failure_waits_then_warns_once_then_expires(world: World) -> None:
    busy = {"bob": "450 4.2.0 Mailbox busy"}
    sent = world.submit("alice@localhost", ["bob@example.org"], BODY)
    async with sink(world, rcpt_replies=busy):
        first = await world.deliverer.attempt(sent.qid)
    assert (first.done, first.attempts) == (False, 1)
    control = world.store.load(sent.qid)
    assert control.next_try == int(world.clock()) + 300 and control.attempts == 1
    assert control.reason == "Deferred: 450 4.2.0 Mailbox busy"
    assert recipients(world, sent.qid) == [("bob@example.org", "deferred", "4.2.0")]
    assert control.envelope.priority == first.priority == 90000
    assert logged(world, sent.qid, "to=bob@example.org,", "dsn=4.2.0",
                  "stat=Deferred: 450 4.2.0 Mailbox busy")
    assert others(world, sent.qid) == []
    world.clock.advance(4 * HOUR + 1)
    async with sink(world, rcpt_replies=busy):
        second = await world.deliverer.attempt(sent.qid)
        assert not second.done and world.store.load(sent.qid).warned == int(world.clock())
        [warning] = others(world, sent.qid)
        world.clock.advance(HOUR)
        assert not (await world.deliverer.attempt(sent.qid)).done
        assert others(world, sent.qid) == [warning]          # one warning only
    assert logged(world, sent.qid, f"{warning}: sender notify: Warning: could not send "
                  "message for past 4 hours")
    assert (await world.deliverer.attempt(warning)).done
    [delay] = world.mbox("alice")
    message = parsed(delay.as_bytes())
    assert message["Subject"] == "Warning: could not send message for past 4 hours"
    text, status, returned = message.iter_parts()
    assert "THIS IS A WARNING MESSAGE ONLY" in text.get_content()
    assert "Will keep trying until message is 5 days old" in text.get_content()
    assert status.get_payload()[1]["Action"] == "delayed"
    assert returned.get_content_type() == "message/rfc822"
    assert scan_message(message) == set()
    world.clock.advance(5 * 24 * HOUR)
    async with sink(world, rcpt_replies=busy):
        last = await world.deliverer.attempt(sent.qid)
    assert last.done
    [expiry] = others(world)
    assert (await world.deliverer.attempt(expiry)).done
    bounce = parsed(world.mbox("alice")[1].as_bytes())
    text, status, _ = bounce.iter_parts()
    assert "Message could not be delivered for 5 days" in text.get_content()
    assert status.get_payload()[1]["Status"] == "4.4.7"
    assert scan_message(bounce) == {b"bob@example.org"}


async def test_a_bounce_that_fails_goes_to_the_postmaster_then_is_dropped(world: World) -> None:
    """A report about a message from <> goes to the postmaster; one about a postmaster
    report is dropped with a log line (savemail never loops)."""
    world.submit("", ["nosuchuser"], BODY)
    sent = world.store.list()[0]
    assert (await world.deliverer.attempt(sent)).done
    [to_postmaster] = others(world)
    control = world.store.load(to_postmaster)
    assert control.envelope.origin == "postmaster-report"
    assert [r.address for r in control.envelope.recipients] == ["postmaster"]
    assert logged(world, sent, f"{to_postmaster}: postmaster notify: 550 5.1.1 User unknown")
    assert (await world.deliverer.attempt(to_postmaster)).done
    [report] = world.mbox("root")
    assert parsed(report.as_bytes())["Subject"] == "Postmaster notify: see transcript for details"
    failing = world.submit("", ["nosuchuser"], BODY, origin="postmaster-report")
    assert (await world.deliverer.attempt(failing.qid)).done
    assert others(world) == []
    assert logged(world, failing.qid, "double bounce dropped")


async def test_success_notices(world: World) -> None:
    """NOTIFY=SUCCESS: "delivered to mailbox" for a local mailer, "relayed" for a peer
    without DSN; one receipt for the run."""
    async with sink(world, extensions=("PIPELINING", "8BITMIME")):
        sent = world.submit("alice@localhost", [Recipient("carol", notify=("SUCCESS",)),
                                                Recipient("bob@example.org",
                                                          notify=("SUCCESS", "FAILURE"))], BODY)
        assert (await world.deliverer.attempt(sent.qid)).done
    [receipt] = others(world)
    assert (await world.deliverer.attempt(receipt)).done
    message = parsed(world.mbox("alice")[0].as_bytes())
    assert message["Subject"] == "Return receipt"
    text, status, headers = message.iter_parts()
    assert "carol  (successfully delivered to mailbox)" in text.get_content()
    assert "bob@example.org  (relayed to non-DSN-aware mailer)" in text.get_content()
    assert [f["Action"] for f in status.get_payload()[1:]] == [
        "delivered (to mailbox)", "relayed (to non-DSN-aware mailer)"]
    assert headers.get_content_type() == "text/rfc822-headers"


async def test_a_report_goes_out_over_smtp_from_the_null_sender(world: World) -> None:
    nobody = Recipient("nosuchuser", orcpt="rfc822;x+2By@orig.example")
    sent = world.submit("joe@example.org", [nobody], BODY, envid="QQ314159", ret="HDRS")
    assert (await world.deliverer.attempt(sent.qid)).done
    [report] = others(world)
    async with sink(world) as server:
        assert (await world.deliverer.attempt(report)).done
    [txn] = server.delivered
    assert (txn.mail_from, txn.rcpt_addresses) == ("", ["joe@example.org"])
    message = parsed((txn.data or b"").replace(b"\r\n", b"\n"))
    assert message["To"] == "joe@example.org"
    assert message["From"] == "Mail Delivery Subsystem <MAILER-DAEMON@localhost.localdomain>"
    _, status, headers = message.iter_parts()
    assert headers.get_content_type() == "text/rfc822-headers"      # RET=HDRS
    envelope, rcpt = status.get_payload()
    assert envelope["Original-Envelope-Id"] == "QQ314159"
    assert envelope["Received-From-MTA"] == "DNS; client.example"
    assert rcpt["Original-Recipient"] == "rfc822;x+y@orig.example"
    assert scan_message(message) == {b"x+y@orig.example"}


async def test_postmaster_copy_and_receipt_rules(make_world: Callable[..., World]) -> None:
    """PostmasterCopy gets a header-only copy of each failure report; the sender's
    report returns the whole message."""
    world = make_world(options=[" PostmasterCopy=carol"])
    sent = world.submit("alice@localhost", ["nosuchuser"], BODY)
    assert (await world.deliverer.attempt(sent.qid)).done
    reports = {world.store.load(q).envelope.recipients[0].address: q for q in others(world)}
    assert sorted(reports) == ["alice@localhost", "carol"]
    assert world.store.load(reports["carol"]).envelope.origin == "postmaster-report"
    for qid in reports.values():
        assert (await world.deliverer.attempt(qid)).done
    copy = parsed(world.mbox("carol")[0].as_bytes())
    assert copy["Subject"] == "Postmaster notify: see transcript for details"
    assert copy.get_payload()[2].get_content_type() == "text/rfc822-headers"
    bounce = parsed(world.mbox("alice")[0].as_bytes())
    assert bounce.get_payload()[2].get_content_type() == "message/rfc822"
