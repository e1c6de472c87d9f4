"""Aliases, .forward files and owner- aliases across delivery attempts: a list is
expanded once per message (the queue keeps what it expanded to, with the controlling
address), so a retry neither sends twice nor picks up a changed list."""

from __future__ import annotations

import io
from typing import Callable

from delivery_world import World, logged, others, sink
from monomail import sysexits as ex
from monomail.aliases.newaliases import main as newaliases
from monomail.queue.qfcodec import Controller, Recipient

pytest_plugins = ["delivery_fixtures"]   # dns, make_world, world

BODY = b"From: joe@example.org\nSubject: to the team\n\nHi all.\n"
BUSY = "450 4.2.0 Try again later"


def queued(world: World, qid: str) -> list[tuple[str, str, Controller | None]]:
    return [(r.address, r.state.value, r.ctladdr)
            for r in world.store.load(qid).envelope.recipients]


def rewrite_aliases(world: World, text: str) -> None:
    (world.folder / "aliases").write_text(text)
    assert newaliases([str(world.folder / "aliases")], io.StringIO()) == ex.EX_OK


async def test_a_list_is_expanded_once_across_retries(make_world: Callable[..., World]) -> None:
    world = make_world("team: alice, bob@example.org, carol\n")
    world.forward("carol", "\\carol, carol@example.net\n")
    sent = world.submit("joe@example.org", ["team"], BODY)
    async with sink(world, rcpt_replies={"bob": BUSY, "carol": BUSY}) as server:
        first = await world.deliverer.attempt(sent.qid)
    assert not first.done and server.delivered == []
    team = Controller("team", 1, 0, None, alias=True)
    carol = Controller("carol", 4303, 4303, "carol")
    assert queued(world, sent.qid) == [
        ("team", "sent", None), ("\\carol", "sent", carol), ("alice", "sent", team),
        ("carol@example.net", "deferred", carol), ("bob@example.org", "deferred", team)]
    assert [len(world.mbox(u)) for u in ("alice", "carol")] == [1, 1]
    # one run of the local mailer (F=m) for both; the log escapes backslashes (str2prt)
    assert logged(world, sent.qid, "to=alice,\\\\carol,", "ctladdr=alice (4301/4301)",
                  "mailer=local", "stat=Sent")
    assert logged(world, sent.qid, "to=bob@example.org,", "ctladdr=team (1/0)",
                  "stat=Deferred: 450 4.2.0 Try again later")
    # the list and the .forward change; the queued message keeps what it expanded to
    rewrite_aliases(world, "team: alice, dave@example.org\n")
    (world.homes / "carol" / ".forward").unlink()
    world.clock.advance(600)
    async with sink(world) as server:
        second = await world.deliverer.attempt(sent.qid)
    assert second.done and second.attempts == 2
    assert sorted(a for t in server.delivered for a in t.rcpt_addresses) == [
        "bob@example.org", "carol@example.net"]
    assert [len(world.mbox(u)) for u in ("alice", "carol")] == [1, 1]
    assert others(world) == []


async def test_a_retried_program_keeps_its_controlling_user(make_world: Callable[..., World]
                                                            ) -> None:
    """A program from a .forward runs as the file's owner on every attempt; outside an
    expansion the same address would be refused ("Cannot mail directly to programs")."""
    world = make_world()
    out = world.homes / "bob" / "out"
    program = f'"|/bin/sh -c \'id -u >> {out}; cat >> {out}\'"'
    world.forward("bob", f"{program}, bob@example.org\n")
    sent = world.submit("joe@example.org", ["bob"], BODY)
    async with sink(world, rcpt_replies={"bob": BUSY}):
        assert not (await world.deliverer.attempt(sent.qid)).done
    bob = Controller("bob", 4302, 4302, "bob")
    assert [(a, s) for a, s, c in queued(world, sent.qid) if c == bob] == [
        (program, "sent"), ("bob@example.org", "deferred")]
    assert out.read_text().startswith("4302\n") and "Hi all." in out.read_text()
    world.clock.advance(600)
    async with sink(world) as server:
        assert (await world.deliverer.attempt(sent.qid)).done
    assert [t.rcpt_addresses for t in server.delivered] == [["bob@example.org"]]
    assert out.read_text().count("Hi all.") == 1


async def test_owner_alias_takes_its_members_into_an_envelope_of_their_own(
        make_world: Callable[..., World]) -> None:
    """owner-list: errors about list members go to the owner, so sendall splits them
    off (sendmail's clone); the split part is queued from the owner with the message's
    arrival time, NOTIFY dropped."""
    world = make_world("list: alice, bob@example.org\nowner-list: carol\n")
    sent = world.submit("joe@example.org", [Recipient("list", notify=("SUCCESS",)),
                                            "dave@example.org"], BODY)
    world.clock.advance(60)
    async with sink(world) as server:
        assert (await world.deliverer.attempt(sent.qid)).done
        clone, receipt = others(world)
        assert logged(world, sent.qid, f"{clone}: clone: owner=carol")
        assert logged(world, sent.qid, f"{receipt}: DSN: Return receipt")
        control = world.store.load(clone)
        assert control.envelope.sender == "carol" and control.created == int(world.clock()) - 60
        assert [(r.address, r.notify) for r in control.envelope.recipients] == [
            ("alice", ()), ("bob@example.org", ())]
        assert (await world.deliverer.attempt(clone)).done
    assert [(t.mail_from, t.rcpt_addresses) for t in server.delivered] == [
        ("joe@example.org", ["dave@example.org"]),
        ("carol@localhost.localdomain", ["bob@example.org"])]
    assert len(world.mbox("alice")) == 1
    assert others(world) == [receipt]
