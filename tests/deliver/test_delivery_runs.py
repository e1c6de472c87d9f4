"""Queue runs and the edges of an attempt: -q with its filters, a message another
process holds, a damaged message, and a crash between a delivery and the queue update
(delivery is at least once: the recipient gets the message again)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Callable

import pytest

from delivery_world import ROOT, World, logged, others, sink
from monomail.cli.argv import QueueRequest
from monomail.deliver.attempt import run_queue_once
from monomail.queue.qfcodec import Envelope, Recipient

pytest_plugins = ["delivery_fixtures"]   # dns, make_world, world

BODY = b"From: joe@example.org\nSubject: run\n\nBody.\n"


async def test_queue_run_with_filters_delivers_reports_too(world: World) -> None:
    to_alice = world.submit("joe@example.org", ["alice"], BODY)
    to_bob = world.submit("carol@localhost", ["bob", "nosuchuser"], BODY)
    to_carol = world.submit("joe@example.org", ["carol"], BODY)
    request = QueueRequest(recipients=[("bob", False), ("carol", False)])
    tried = await run_queue_once(world.store, world.deliverer, request)
    # bob's message, carol's, and the bounce bob's message queued for carol
    assert tried == 3
    assert world.store.list() == [to_alice.qid]
    assert [len(world.mbox(u)) for u in ("alice", "bob", "carol")] == [0, 1, 2]
    bounce = world.mbox("carol")[1]
    assert bounce["Subject"] == "Returned mail: see transcript for details"
    assert to_bob.qid != to_carol.qid
    everything = await run_queue_once(world.store, world.deliverer, None)
    assert everything == 1 and world.store.list() == []


async def test_queue_run_tries_a_deferred_message_once(world: World) -> None:
    sent = world.submit("joe@example.org", ["bob@example.org"], BODY)
    async with sink(world, rcpt_replies={"bob": "451 4.3.0 Later"}) as server:
        assert await run_queue_once(world.store, world.deliverer) == 1
    assert len(server.transactions) == 1
    assert world.store.load(sent.qid).attempts == 1


async def test_a_message_held_elsewhere_is_left_alone(world: World) -> None:
    sent = world.submit("joe@example.org", ["alice"], BODY)
    assert world.store.claim(sent.qid)
    try:
        outcome = await world.deliverer.attempt(sent.qid)
    finally:
        world.store.release(sent.qid)
    assert not outcome.done and outcome.attempts == 1
    assert world.mbox("alice") == [] and world.store.load(sent.qid).attempts == 0


async def test_a_damaged_message_is_quarantined(world: World) -> None:
    """Data that is not a stored message (cleanup.encode) is never delivered."""
    qid = world.store.submit(Envelope("joe@example.org", (Recipient("alice"),)),
                             b"Subject: raw\r\n\r\nnot stored by cleanup\r\n")
    assert (await world.deliverer.attempt(qid)).done
    assert world.store.list() == [] and world.mbox("alice") == []
    assert (world.folder / "queue" / f"Qf{qid}").exists()
    assert logged(world, qid, "SYSERR: cannot read the queued message: stored message, offset 0")


async def test_crash_between_delivery_and_update_delivers_again(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """At least once: the recipient is marked sent only by the update at the end of the
    attempt, so a crash before it (simulated: the update fails) means a second copy."""
    sent = world.submit("joe@example.org", ["alice", "bob"], BODY)

    async def crash(*args: object) -> None:
        raise RuntimeError("killed")

    with monkeypatch.context() as patch:
        patch.setattr(world.store, "remove_async", crash)
        with pytest.raises(RuntimeError):
            await world.deliverer.attempt(sent.qid)
    assert [len(world.mbox(u)) for u in ("alice", "bob")] == [1, 1]
    assert world.store.load(sent.qid).attempts == 0 and not world.store.is_locked(sent.qid)
    assert (await world.deliverer.attempt(sent.qid)).done
    assert [len(world.mbox(u)) for u in ("alice", "bob")] == [2, 2]


async def test_too_many_hops_bounces(make_world: Callable[..., World]) -> None:
    world = make_world(options=[" MaxHopCount=1"])
    hops = b"Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\n" * 2
    sent = world.submit("carol@localhost", ["alice"], hops + BODY)
    assert (await world.deliverer.attempt(sent.qid)).done
    assert world.mbox("alice") == []
    [bounce] = others(world)
    assert (await world.deliverer.attempt(bounce)).done
    text = world.mbox("carol")[0].as_string()
    assert "554 5.4.6 Too many hops 3 (1 max): from carol@localhost via client.example " \
        "[127.0.0.9], to alice" in text


def test_command_line_queue_run(world: World) -> None:
    """`monomail -q` runs the queue once in the foreground and exits 0 (-q30m starts the
    queue-running daemon: tests/daemon)."""
    sent = world.submit("joe@example.org", ["root"], BODY)
    world.store.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = world.folder / "cli.log"
    done = subprocess.run([sys.executable, "-m", "monomail", "-C", str(world.cf), "-q",
                           "-O", f"Monomail.LogFile={log}"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    [stored] = world.mbox("root")
    assert stored["Subject"] == "run" and world.store.list() == []
    assert [line.split(": ", 2)[2].split(",")[0] for line in log.read_text().splitlines()
            if f": {sent.qid}: to=" in line and "stat=Sent" in line] == ["to=root"]
