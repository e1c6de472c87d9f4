"""Real sendmail and monomail's cleanup stage on the same message, side by side.

sendmail runs as `-bm -odq` (or `-bs`, an SMTP session on its standard input) into a
private queue folder; its qf file's `H` lines are the stored header, its df file the
body.  monomail's side runs in process on the same cf, with the queue id and the
time sendmail used (from the qf's name and `T` line), so nothing needs masking except
$v, which is each program's own version (set to sendmail's here).  For delivery,
sendmail runs the queue (`-qf`) into capture mailers (programs that save what they
are given) and monomail renders the message for the same mailers.

Both run with the host name mail.example.com and the test's own hosts/nsswitch files
(tests/oracle.py's sandbox), as root; class t then holds root, so a cf without `Troot`
is used for the untrusted -f cases.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import oracle
from monomail.cleanup.intake import Intake, Outcome, set_time_macros
from monomail.cleanup.putheader import queue_header_lines, split_addresses
from monomail.cleanup.render import header_context, render
from monomail.cleanup.sender import (full_name_argument, sender_argument, sender_warning,
                                     setsender)
from monomail.config.cfparser import parse_cf
from monomail.config.identity import Identity
from monomail.config.model import Config
from monomail.rewrite.engine import Rewriter
from monomail.rewrite.env import RewriteEnv
from monomail.rewrite.parseaddr import RF_CANONICAL, RF_SENDERADDR
from monomail.rewrite.remotename import remotename

HERE = Path(__file__).resolve().parent
ETC = HERE.parents[0] / "compat" / "etc"
IDENTITY = Identity("mail.example.com", "mail.example.com")
REAL_USER = "root"
CAPTURE_HOST = "cap2.test"


@dataclass
class Invocation:
    """The command-line flags the cases use, parsed once for both programs."""

    args: list[str]
    sender: str | None = None
    full_name: str | None = None
    grab_to: bool = False
    ignore_dots: bool | None = None
    options: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, args: Sequence[str]) -> "Invocation":
        inv = cls(list(args))
        it = iter(args)
        for arg in it:
            if arg == "-f":
                inv.sender = next(it)
            elif arg == "-F":
                inv.full_name = next(it)
            elif arg == "-t":
                inv.grab_to = True
            elif arg in ("-i", "-oi"):
                inv.ignore_dots = True
            elif arg == "-O":
                inv.options.append(" " + next(it))
            elif arg.startswith("-"):
                raise ValueError(f"flag {arg} is not used by these tests")
            else:
                inv.recipients.append(arg)
        return inv


class ListedRecipients:
    """The recipient stage as the cleanup stage sees it: addresses as given; -t adds
    each address of a field (split as commaize splits them, enough for these tests)."""

    def __init__(self, env: RewriteEnv, addresses: Sequence[str]) -> None:
        self.env = env
        self.addresses = list(addresses)
        self.first = self.addresses[0] if len(self.addresses) == 1 else None

    def original(self) -> str | None:
        return self.first

    def sendtolist(self, text: str) -> None:
        self.addresses += split_addresses(text, 0, False, self.env)

    def primaries(self) -> Sequence[str]:
        return self.addresses


@dataclass
class Queued:
    """What sendmail left in its queue (qf header lines and df body), and printed."""

    header: list[str] | None
    body: bytes | None
    qid: str
    ctime: int
    output: str  # stdout and stderr, as sendmail printed errors
    rc: int
    folder: Path | None = None


@dataclass
class Ours:
    header: list[str]
    outcome: Outcome
    config: Config
    env: RewriteEnv
    rw: Rewriter
    sender_paddr: str


class Oracle:
    """Real sendmail in the sandbox, one private queue folder per run."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.etc = work / "etc"
        self.program = oracle.sendmail_program()

    def argv(self, args: Sequence[str]) -> list[str]:
        return oracle.sandbox_argv([*self.program.argv, *args],
                                   oracle.system_binds(self.etc), oracle.HOSTNAME)

    def env(self) -> dict[str, str]:
        return {**os.environ, **self.program.env}

    def fresh_queue(self) -> Path:
        queue = Path(tempfile.mkdtemp(prefix="q-", dir=self.work))
        queue.chmod(0o755)
        return queue

    def submit(self, cf: Path, args: Sequence[str], data: bytes) -> Queued:
        queue = self.fresh_queue()
        proc = subprocess.run(self.argv(["-bm", "-odq", "-C", str(cf), "-O",
                                         f"QueueDirectory={queue}", *args]),
                              input=data, capture_output=True, env=self.env(), timeout=60)
        output = (proc.stdout + proc.stderr).decode("latin-1")
        return read_queue(queue, output, proc.returncode)

    def smtp(self, cf: Path, commands: Sequence[bytes], data: bytes) -> tuple[Queued, list[bytes]]:
        """An SMTP session on -bs; each command waits for its reply, DATA sends `data`."""
        queue = self.fresh_queue()
        proc = subprocess.Popen(self.argv(["-bs", "-odq", "-C", str(cf), "-O",
                                           f"QueueDirectory={queue}"]),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=self.env())
        assert proc.stdin is not None and proc.stdout is not None
        replies = [read_reply(proc.stdout)]
        for command in commands:
            proc.stdin.write(command + b"\r\n")
            proc.stdin.flush()
            replies.append(read_reply(proc.stdout))
            if command == b"DATA" and replies[-1].startswith(b"354"):
                proc.stdin.write(data)
                proc.stdin.flush()
                replies.append(read_reply(proc.stdout))
        proc.stdin.close()
        proc.wait(timeout=60)
        return read_queue(queue, "", proc.returncode), replies

    def deliver(self, cf: Path, args: Sequence[str], data: bytes,
                out: Path) -> tuple[Queued, dict[str, bytes]]:
        """Queue the message, then run the queue in the foreground into capture mailers
        (each writes what it is given to out/<mailer name>)."""
        queued = self.submit(cf, args, data)
        assert queued.folder is not None, queued.output
        subprocess.run(self.argv(["-qf", "-C", str(cf), "-O", f"QueueDirectory={queued.folder}"]),
                       capture_output=True, env=self.env(), timeout=60)
        return queued, {p.name: p.read_bytes() for p in out.iterdir()}


def read_reply(stream) -> bytes:  # type: ignore[no-untyped-def]
    lines = []
    while True:
        line = stream.readline()
        lines.append(line)
        if not line or line[3:4] != b"-":
            return b"".join(lines)


def read_queue(queue: Path, output: str, rc: int) -> Queued:
    qfs = sorted(queue.glob("qf*"))
    if not qfs:
        shutil.rmtree(queue, ignore_errors=True)
        return Queued(None, None, "", 0, output, rc)
    qf = qfs[0].read_bytes().decode("latin-1")
    qid = qfs[0].name[2:]
    ctime = next(int(line[1:]) for line in qf.split("\n") if line.startswith("T"))
    header: list[str] = []
    for line in qf.split("\n"):
        if line.startswith("H"):
            header.append(line + "\n")
        elif line[:1] in (" ", "\t") and header:
            header.append(line + "\n")
    body = (queue / f"df{qid}").read_bytes()
    return Queued(header, body, qid, ctime, output, rc, queue)


def configure(cf: Path, options: Sequence[str] = ()) -> tuple[Config, RewriteEnv, Rewriter]:
    config = parse_cf(str(cf), identity=IDENTITY, command_line=tuple(options))
    env = RewriteEnv(config, lambda line: None)
    env.define_macro("v", "8.17.1.9")
    return config, env, Rewriter(config)


def ours_cli(cf: Path, inv: Invocation, data: bytes, qid: str, ctime: int) -> Ours:
    """monomail's cleanup of a command-line submission, as sendmail's main() sets it up."""
    config, env, rw = configure(cf, inv.options)
    env.define_macro("_", f"{REAL_USER}@localhost")
    env.define_macro("i", qid)
    set_time_macros(env, ctime)
    full = None if inv.full_name is None else full_name_argument(inv.full_name)
    given = None if inv.sender is None else sender_argument(inv.sender)
    sender = setsender(config, rw, env, given, real_user=REAL_USER, smtp=False, full_name=full)
    intake = Intake(config, rw, env, sender, smtp=False)
    if given is not None:
        warning = sender_warning(config, sender, given, REAL_USER)
        if warning:
            intake.auth_warning(warning)
    outcome = intake.collect(data, ListedRecipients(env, inv.recipients),
                             grab_to=inv.grab_to, ignore_dots=inv.ignore_dots)
    header = queue_header_lines(outcome.message, header_context(config, rw, env))
    return Ours(header, outcome, config, env, rw, sender.paddr)


def ours_smtp(cf: Path, helo: bytes, mail: bytes, rcpts: Sequence[bytes], data: bytes,
              qid: str, ctime: int) -> Ours:
    """monomail's cleanup of an SMTP transaction, with the macros the server defines."""
    config, env, rw = configure(cf)
    env.define_macro("_", f"{REAL_USER}@localhost")
    env.define_macro("i", qid)
    verb, _, name = helo.decode().partition(" ")
    env.define_macro("s", name)
    env.define_macro("r", "ESMTP" if verb.upper() == "EHLO" else "SMTP")
    set_time_macros(env, ctime)
    sender = setsender(config, rw, env, mail.decode("latin-1"), real_user=REAL_USER, smtp=True)
    intake = Intake(config, rw, env, sender, smtp=True)
    outcome = intake.collect(data, ListedRecipients(env, [r.decode("latin-1") for r in rcpts]))
    header = queue_header_lines(outcome.message, header_context(config, rw, env))
    return Ours(header, outcome, config, env, rw, sender.paddr)


def ours_render(ours: Ours, mailer_name: str, unix_date: str) -> bytes:
    """The message as monomail gives it to a mailer, with the macros deliver() sets:
    $g (the sender through the mailer's rules), $d (the date of the run, taken from
    sendmail's own From line so the runs need not share a second)."""
    env, rw = ours.env, ours.rw
    mailer = ours.config.mailer(mailer_name)
    assert mailer is not None, mailer_name
    sender, _ = remotename(rw, env, ours.sender_paddr, mailer, RF_SENDERADDR | RF_CANONICAL)
    env.define_macro("g", sender)
    env.define_macro("d", unix_date)
    return render(ours.outcome.message, mailer, header_context(ours.config, rw, env))


def finis(status: int) -> int:
    """sendmail's finis exits 0 for EX_TEMPFAIL (the message is queued)."""
    return 0 if status == 75 else status


def lines(header: Sequence[str]) -> list[str]:
    return "".join(header).splitlines(keepends=True)


def printed(ours: Ours) -> str:
    """What sendmail's command line prints: the cf's messages, then the problems
    (their texts, without codes)."""
    return "".join(line + "\n" for line in ours.config.output) + "".join(
        p.text + "\n" for p in ours.outcome.problems)

