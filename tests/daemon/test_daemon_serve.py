"""The daemon in process: listeners, SMTP intake through cleanup into the queue,
SIGHUP reload, SIGTERM stop with the PidFile removed."""

from __future__ import annotations

import asyncio
import os
import signal
import smtplib
import socket
from pathlib import Path

import pytest

import mailbox

from monomail.config.cfparser import parse_cf
from monomail.daemon.configholder import ConfigHolder, load
from monomail.daemon.lifecycle import Signals
from monomail.daemon.runner import Attempt
from monomail.daemon.service import DaemonRequest, new_deliverer, serve
from monomail.log.writer import MailLog
from monomail.queue.store import QueueStore

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, int]:
    port = free_port()
    text = (EXAMPLES / "quickstart.cf").read_text()
    text = text.replace("O DaemonPortOptions=Port=2525, Addr=127.0.0.1, Name=MTA",
                        f"O DaemonPortOptions=Port={port}, Addr=127.0.0.1, Name=MTA")
    (tmp_path / "site.cf").write_text(text + "O Monomail.LogFile=spool/maillog\n")
    (tmp_path / "aliases").write_text("postmaster: root\n")
    (tmp_path / "spool" / "mqueue").mkdir(parents=True)
    (tmp_path / "spool" / "mail").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path, port


def test_accepts_queues_reloads_and_stops(site: tuple[Path, int]) -> None:
    folder, port = site
    tried: list[str] = []

    def factory(config, store, log):  # type: ignore[no-untyped-def]
        deliverer = new_deliverer(config, store, log)
        attempt = deliverer.attempt

        async def counted(qid: str) -> Attempt:
            tried.append(qid)
            return await attempt(qid)
        deliverer.attempt = counted
        return deliverer

    def client() -> str:
        with smtplib.SMTP("127.0.0.1", port, timeout=20) as smtp:
            smtp.ehlo("client.example")
            code, reply = smtp.docmd("MAIL", "FROM:<joe@localhost.localdomain>")
            assert code == 250, reply
            assert smtp.docmd("RCPT", "TO:<root@localhost.localdomain>")[0] == 250
            code, reply = smtp.data(b"Subject: hi\r\n\r\n.leading dot\r\nbody\r\n")
            assert code == 250, reply
            return reply.decode().split()[1]

    async def scenario() -> str:
        cf = str(folder / "site.cf")
        holder = ConfigHolder(cf, (), "D", load(cf, (), "D", 0))
        log = MailLog(level=9, path="spool/maillog")
        signals = Signals()
        daemon = asyncio.create_task(serve(DaemonRequest(holder, log, "monomail -bD"),
                                           factory, signals))
        qid = ""
        for _ in range(200):          # bounded: the listener comes up within the loop's turns
            try:
                qid = await asyncio.to_thread(client)
                break
            except ConnectionRefusedError:
                await asyncio.sleep(0.05)
        assert Path("spool/monomail.pid").read_text().startswith(f"{os.getpid()}\n")
        for _ in range(400):          # bounded: delivery runs in the background
            if list(Path("spool/mail/root/new").glob("*")):
                break
            await asyncio.sleep(0.05)
        os.kill(os.getpid(), signal.SIGHUP)
        while holder.current.generation == 0:
            await asyncio.sleep(0.01)
        os.kill(os.getpid(), signal.SIGTERM)
        assert await asyncio.wait_for(daemon, 60) == 0
        return qid

    qid = asyncio.run(scenario())
    assert qid in tried and not Path("spool/monomail.pid").exists()
    store = QueueStore("spool/mqueue", min_free_blocks=0)
    store.recover()
    assert store.list() == []
    [delivered] = mailbox.Maildir("spool/mail/root", create=False)
    assert delivered["Subject"] == "hi" and delivered.get_payload() == ".leading dot\nbody\n"
    assert f"id {qid}" in delivered["Received"]
    log = Path("spool/maillog").read_text()
    assert f"{qid}: from=<joe@localhost.localdomain>, size=" in log and "starting daemon" in log
    assert f"{qid}: to=" in log and "mailer=local" in log and "stat=Sent" in log
