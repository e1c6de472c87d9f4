"""A small mail system for delivery tests: examples/quickstart.cf pointed at a folder of
its own (queue, mbox spool, alias file, homes), users from a table, remote mail routed
through tests/dnsserver.py to capture sinks on 127.0.0.x, and a clock the test moves.

Messages are taken in by the cleanup stage (Intake, as the SMTP server does) and stored
with cleanup.encode, so what is delivered is what intake will store.
"""

from __future__ import annotations

import io
import mailbox
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import oracle
from sinks import Script, ScriptedSink
from monomail import sysexits as ex
from monomail.aliases.newaliases import main as newaliases
from monomail.aliases.policy import Identity, settings as recipient_settings
from monomail.aliases.users import User
from monomail.cleanup import Intake, RecipientList, encode, set_time_macros, setsender
from monomail.config.cfparser import parse_cf
from monomail.deliver.attempt import Deliverer
from monomail.deliver.job import Account, AgentSettings, LockPolicy
from monomail.deliver.smtpclient import SmtpClient
from monomail.log.writer import MailLog
from monomail.queue.qfcodec import Envelope, Recipient
from monomail.queue.store import QueueStore
from monomail.rewrite.env import RewriteEnv

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "examples" / "quickstart.cf"
MX = "127.0.0.2"
ZONE: dict[str, list[str] | str] = {
    "example.org": ["MX 10 mx.example.org."],
    "mx.example.org": [f"A {MX}"],
    "example.net": ["MX 10 mx.example.org."],
}
AS_ROOT = Identity(real_uid=0, euid=0, run_as_uid=0, def_uid=1, def_gid=1, def_user="daemon")
START = 1_795_577_000.0
FIRST_UID = 4301


class Clock:
    """Time as the test says it is."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class TableUsers:
    """A password database in memory (aliases.users.UserDatabase)."""

    def __init__(self, users: Iterable[User]) -> None:
        self.users = {u.name: u for u in users}

    def by_name(self, name: str) -> User | None:
        return self.users.get(name)

    def by_uid(self, uid: int) -> User | None:
        return next((u for u in self.users.values() if u.uid == uid), None)

    def every_user(self) -> Iterable[User]:
        return list(self.users.values())

    def shells(self) -> list[str]:
        return ["/bin/sh"]

    def group_members(self, gid: int) -> list[str] | None:
        return None

    def group_list(self, user: str, gid: int) -> list[int]:
        return [gid]


def safe_folder() -> Path:
    """A folder sendmail's file checks accept (no group- or world-writable parent)."""
    path = oracle.safe_work_root() / "delivery" / uuid.uuid4().hex
    path.mkdir(parents=True)
    path.chmod(0o755)
    return path


@dataclass
class Submitted:
    qid: str
    data: bytes


class World:
    """The cf, the users (alice, bob, carol), the queue and a Deliverer over them."""

    def __init__(self, folder: Path, port: int, dns_port: int, aliases: str = "",
                 options: Iterable[str] = ()) -> None:
        self.folder = folder
        self.spool = folder / "mail"
        self.spool.mkdir()
        (folder / "aliases").write_text("postmaster: root\nMAILER-DAEMON: postmaster\n"
                                        + aliases.replace("{dir}", str(folder)))
        assert newaliases([str(folder / "aliases")], io.StringIO()) == ex.EX_OK
        text = (QUICKSTART.read_text()
                .replace("O AliasFile=./aliases", f"O AliasFile={folder}/aliases")
                .replace("A=maildir -d spool/mail $u", f"A=mbox -d {self.spool} $u")
                .replace("A=TCP $h\n", f"A=TCP $h {port}\n")
                .replace("O QueueDirectory=spool/mqueue", f"O QueueDirectory={folder}/queue"))
        text += f"O Monomail.NameServer={dns_port}@127.0.0.1\n"
        self.cf = folder / "test.cf"
        self.cf.write_text(text)
        self.config = parse_cf(str(QUICKSTART), text=text, command_line=tuple(options))
        assert not self.config.errors, self.config.errors
        self.homes = folder / "home"
        people = [User("root", 0, 0, "root", "/root", "/bin/sh"),
                  User("daemon", 1, 1, "daemon", "/", "/bin/sh")]
        for n, name in enumerate(("alice", "bob", "carol")):
            home = self.homes / name
            home.mkdir(parents=True)
            os.chown(home, FIRST_UID + n, FIRST_UID + n)
            people.append(User(name, FIRST_UID + n, FIRST_UID + n, name.title(), str(home),
                               "/bin/sh"))
        self.users = TableUsers(people)
        self.clock = Clock()
        self.log_path = folder / "maillog"
        self.store = QueueStore(folder / "queue", min_free_blocks=0, clock=self.clock)
        self.store.recover()
        self.deliverer = self.make_deliverer()

    def make_deliverer(self) -> Deliverer:
        accounts = {u.name: Account(u.name, u.uid, u.gid, u.home)
                    for u in self.users.users.values()}
        agents = AgentSettings.from_config(
            self.config, accounts=accounts.get, hostname="mail.example.com",
            lock=LockPolicy(timeout=2, stale_after=300, first_sleep=0.01, longest_sleep=0.05))
        return Deliverer(self.config, self.store, client=SmtpClient.from_config(self.config),
                         log=MailLog(9, path=str(self.log_path), clock=self.clock),
                         agents=agents, recipients=recipient_settings(self.config, AS_ROOT),
                         users=self.users, clock=self.clock)

    def forward(self, user: str, text: str) -> None:
        path = self.homes / user / ".forward"
        path.write_text(text)
        uid = self.users.users[user].uid
        os.chown(path, uid, uid)
        path.chmod(0o644)

    def message(self, sender: str, recipients: list[str], text: bytes) -> bytes:
        """The stored form of a message taken in over SMTP (cleanup's Intake)."""
        env = RewriteEnv(self.config, lambda _line: None)
        env.define_macro("r", "ESMTP")
        env.define_macro("s", "client.example")
        env.define_macro("_", "client.example [127.0.0.9]")
        set_time_macros(env, self.clock())
        rw = self.deliverer.rw
        who = setsender(self.config, rw, env, sender, real_user="root", smtp=True)
        outcome = Intake(self.config, rw, env, who, smtp=True).collect(
            text.replace(b"\n", b"\r\n"), RecipientList(recipients))
        assert outcome.accepted, outcome.problems
        return encode(outcome.message)

    def submit(self, sender: str, recipients: list[str | Recipient], text: bytes,
               **envelope: object) -> Submitted:
        rcpts = tuple(r if isinstance(r, Recipient) else Recipient(r) for r in recipients)
        data = self.message(sender, [r.address for r in rcpts], text)
        macros = (("r", "ESMTP"), ("s", "client.example"), ("{client_name}", "client.example"),
                  ("{client_addr}", "127.0.0.9"))
        env = Envelope(sender, rcpts, macros=macros, **envelope)  # type: ignore[arg-type]
        return Submitted(self.store.submit(env, data), data)

    def mbox(self, user: str) -> list[mailbox.mboxMessage]:
        path = self.spool / user
        return list(mailbox.mbox(str(path))) if path.exists() else []

    def log_lines(self) -> list[str]:
        if not self.log_path.exists():
            return []
        return [line.split(": ", 1)[1] for line in self.log_path.read_text().splitlines()]

    async def close(self) -> None:
        await self.deliverer.close()
        self.store.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def sink(world: World, **script: object) -> ScriptedSink:
    """A capture sink where the world's SMTP mailers connect (mx.example.org)."""
    mailer = world.config.mailer("esmtp")
    assert mailer is not None
    return ScriptedSink(Script(**script), MX, int(mailer.argv[2]))  # type: ignore[arg-type]


def others(world: World, *known: str) -> list[str]:
    """Messages queued besides `known` (reports, split envelopes)."""
    return [qid for qid in world.store.list() if qid not in known]


def logged(world: World, qid: str, *words: str) -> list[str]:
    """The log lines of a queue id that hold every one of `words`."""
    return [line for line in world.log_lines()
            if line.startswith(f"{qid}: ") and all(w in line for w in words)]
