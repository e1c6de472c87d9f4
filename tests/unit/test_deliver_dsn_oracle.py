"""A failed delivery and its report, delivered by real sendmail 8.17 and by monomail
from the same cf: the reports must agree.

sendmail's m4 builds the cf (test_dsn_oracle.py's: a `fail` mailer whose program exits 67,
a `capture` mailer that keeps what it is given in a file named after the recipient).
sendmail runs `-odi` in its sandbox; monomail takes the same message in with its cleanup
stage, queues it, and runs two attempts with the Deliverer: the message (the fail mailer
refuses it) and the report it queued (the capture mailer keeps it).  Compared: the fields
returntosender adds, the text part's addresses and reasons, and every field of the
delivery-status part but Arrival-Date and Last-Attempt-Date.  Expected differences: the
queue ids, those dates, and
"from root@localhost", which monomail's queue does not keep ($_), so its report says
"from localhost"."""

from __future__ import annotations

import asyncio
import email
import email.policy
import email.utils
import re
import time
from pathlib import Path

import pytest

import oracle
from delivery_world import Clock
from monomail.cleanup import Intake, RecipientList, encode, set_time_macros, setsender
from monomail.config.cfparser import parse_cf
from monomail.config.identity import Identity
from monomail.deliver.attempt import Deliverer
from monomail.log.writer import MailLog
from monomail.queue.qfcodec import Envelope, Recipient
from monomail.queue.store import QueueStore
from monomail.rewrite.env import RewriteEnv
from test_dsn_oracle import Sendmail

TEXT = b"Subject: oracle\nFrom: Joe <joe@capture.test>\n\nHello body\n"


@pytest.fixture(scope="module")
def sendmail(bt_work_root: Path) -> Sendmail:
    folder = bt_work_root / "delivery-dsn"
    folder.mkdir()
    return Sendmail(folder)


def ours(sendmail: Sendmail, queue: Path, recipients: list[str], later: int = 0,
         arrival: float | None = None) -> bytes:
    """monomail's report for a message to `recipients`: one attempt, then (if `later`)
    another that many seconds after, then the attempt that delivers the report.  The
    dates compared (Will-Retry-Until) come from the arrival: sendmail's, when given."""
    config = parse_cf(str(sendmail.cf), identity=Identity(oracle.HOSTNAME, oracle.HOSTNAME))
    queue.mkdir()
    clock = Clock(time.time() if arrival is None else arrival)
    store = QueueStore(queue, min_free_blocks=0, clock=clock)
    deliverer = Deliverer(config, store, log=MailLog(0), clock=clock)
    env = RewriteEnv(config, lambda _line: None)
    set_time_macros(env)
    sender = setsender(config, deliverer.rw, env, "joe@capture.test", real_user="root",
                       smtp=False)
    message = Intake(config, deliverer.rw, env, sender, smtp=False).collect(
        TEXT, RecipientList(list(recipients))).message
    data = encode(message)
    qid = store.submit(Envelope("joe@capture.test", tuple(Recipient(r) for r in recipients)),
                       data)

    async def run() -> None:
        await deliverer.attempt(qid)
        if later:
            clock.advance(later)
            await deliverer.attempt(qid)
        [report] = [q for q in store.list() if q != qid]
        assert (await deliverer.attempt(report)).done
        await deliverer.close()
    asyncio.run(run())
    store.close()
    return sendmail.report_for("joe")


def fields(raw: bytes) -> dict[str, object]:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    text, status, returned = message.iter_parts()
    lines = [line for line in text.get_content().splitlines()
             if not line.startswith(("The original message was received at", "from "))]
    groups = [{k: v for k, v in part.items() if not k.endswith("-Date")}
              for part in status.get_payload()]
    return {"Subject": message["Subject"], "Auto-Submitted": message["Auto-Submitted"],
            "To": message["To"], "text": lines, "status": groups,
            "returned": returned.get_content_type()}


def test_failure_report_matches_sendmail(sendmail: Sendmail, tmp_path: Path) -> None:
    """Two recipients the fail mailer refuses (its output and giveresponse's line in the
    transcript), one the capture mailer takes."""
    recipients = ["bob@fail.test", "ann@capture.test", "cy@fail.test"]
    sendmail.reset()
    sendmail.run("-odi", "-oem", "-f", "joe@capture.test", *recipients, data=TEXT)
    theirs = sendmail.report_for("joe")
    sendmail.reset()
    mine = ours(sendmail, tmp_path / "q", recipients)
    assert fields(mine) == fields(theirs)
    assert b"Hello body" in sendmail.report_for("ann")


def test_delay_warning_matches_sendmail(sendmail: Sendmail, tmp_path: Path) -> None:
    """The tmp mailer exits 75; five hours on (Timeout.queuewarn is 4 hours) the next
    run warns the sender: sendmail's queue aged and run with -q, monomail's clock moved."""
    recipients = ["bob@tmp.test", "ann@capture.test"]
    sendmail.reset()
    sendmail.run("-odi", "-oem", "-f", "joe@capture.test", *recipients, data=TEXT)
    sendmail.age_queue(5 * 3600)
    sendmail.run("-qf", data=b"")
    theirs = sendmail.report_for("joe")
    sendmail.reset()
    found = re.search(rb"^Arrival-Date: (.*)$", theirs, re.M)
    assert found is not None
    arrival = email.utils.parsedate_to_datetime(found.group(1).decode()).timestamp()
    mine = ours(sendmail, tmp_path / "q", recipients, later=5 * 3600, arrival=arrival)
    assert fields(mine) == fields(theirs)
    assert fields(mine)["Subject"] == "Warning: could not send message for past 4 hours"

