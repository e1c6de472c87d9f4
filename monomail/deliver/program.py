"""Running a mailer program (P= a path: prog's /bin/sh, mail.local, procmail, uux, /bin/cat)
as sendmail's openmailer/endmailer do.

The program gets the A= argv built by `argv.build_argv`, the message on stdin, stdout and
stderr together on one pipe (kept for the bounce's transcript), a new session, the D=
working directory, sendmail's environment (`AgentSettings.environment`) and the identity
openmailer picks: F=S runs as the mailer's U= or RunAsUser; otherwise as the controlling
user of the recipient (F=o, or for other mailers than prog the local submitter), else U=,
else DefaultUser, with that user's groups.  Only root can change identity; monomail run by
a user runs programs as itself, as sendmail does.  The exit status becomes the outcome
through sendmail's tables.  A wait limit (the mailer's W=, else the agent settings'
`program_timeout`) kills the whole process group and defers the recipients.

With Monomail.SmrshDirectory set, the prog mailer's `-c` command goes through smrsh's rules first
(`smrsh.smrsh_command`) and runs under /bin/sh with smrsh's environment.
"""

from __future__ import annotations

import asyncio
import os
import signal
from dataclasses import dataclass, replace

from monomail import sysexits as ex
from monomail.config.model import NO_ID, Mailer

from .argv import build_argv, expand_word, recipient_macros, batches
from .job import AgentSettings, Job, Owner
from .outcome import Outcome, TRANSIENT_ERRNOS, from_exit
from .smrsh import SMRSH_PATH, Refusal, smrsh_command

TRANSCRIPT_LIMIT = 64 * 1024  # what is kept of a program's output
KILL_GRACE = 5.0  # seconds to collect the output of a killed program


@dataclass(frozen=True)
class Identity:
    """Who the program runs as: uid, gid and the supplementary groups."""

    uid: int
    gid: int
    groups: tuple[int, ...]


@dataclass(frozen=True)
class Launch:
    """Everything create_subprocess_exec needs."""

    path: str
    argv: list[str]
    env: dict[str, str]
    cwd: tuple[str, ...]
    identity: Identity | None


async def deliver_program(job: Job, settings: AgentSettings) -> list[Outcome]:
    """One run per batch (all recipients at once for F=m); each recipient gets its run's
    outcome."""
    outcomes: list[Outcome] = []
    for batch in batches(job.mailer, job.recipients):
        outcome = await run_batch(replace(job, recipients=batch), settings)
        outcomes += [outcome] * len(batch)
    return outcomes


async def run_batch(job: Job, settings: AgentSettings) -> Outcome:
    launch = plan(job, settings)
    if isinstance(launch, Outcome):
        return launch
    timeout = job.mailer.wait or settings.program_timeout
    return await execute(launch, job.message, timeout, job.mailer)


def plan(job: Job, settings: AgentSettings) -> Launch | Outcome:
    """The program, argv, environment, directories and identity for `job`."""
    mailer = job.mailer
    argv = build_argv(job).argv
    identity = identity_for(mailer, job.recipients[-1].owner, job.submitter, settings)
    if isinstance(identity, Outcome):
        return identity
    path, env = mailer.path, dict(settings.environment)
    if settings.smrsh_directory and mailer.name == "prog":
        command = smrsh_command(argv, settings.smrsh_directory)
        if isinstance(command, Refusal):
            return from_exit(command.exit, command.message)
        path, argv, env = "/bin/sh", ["/bin/sh", "-c", command], {"PATH": SMRSH_PATH}
    macros = recipient_macros(job, job.recipients[-1])
    cwd = tuple(expand_word(d, macros) for d in (mailer.execdir or "").split(":") if d)
    return Launch(path, argv, env, tuple(d for d in cwd if d), identity)


def identity_for(mailer: Mailer, owner: Owner | None, submitter: Owner | None,
                 settings: AgentSettings) -> Identity | None | Outcome:
    """openmailer's choice of uid and gid (None: stay as we are)."""
    if mailer.has("S"):
        run_as = settings.run_as or Owner(os.geteuid(), os.getegid())
        uid = mailer.uid if mailer.uid != NO_ID else run_as.uid
        gid = mailer.gid if mailer.gid != NO_ID else run_as.gid
        if not settings.privileged and (uid, gid) != (os.geteuid(), os.getegid()):
            return from_exit(ex.EX_TEMPFAIL, "openmailer: insufficient privileges to change "
                             f"uid, new_euid={uid}, RunAsUid={os.geteuid()}")
        return Identity(uid, gid, (gid,)) if settings.privileged else None
    if not settings.privileged:
        return None
    control = owner if mailer.has("o") else None
    if control is None and mailer.name not in ("prog", "*file*"):
        control = submitter
    default = settings.default_owner
    uid = (control.uid if control and control.uid != 0
           else mailer.uid if mailer.uid != NO_ID else default.uid)
    if control and control.gid != 0:
        gid, name = control.gid, control.name
    else:
        gid, name = (mailer.gid if mailer.gid != NO_ID else default.gid), default.name
    return Identity(uid, gid, _groups(name, gid))


def _groups(name: str | None, gid: int) -> tuple[int, ...]:
    """initgroups(name, gid), or just gid when the name is unknown."""
    if name:
        try:
            return tuple(os.getgrouplist(name, gid))
        except OSError:
            pass
    return (gid,)


async def execute(launch: Launch, message: bytes, timeout: float | None,
                  mailer: Mailer) -> Outcome:
    try:
        proc = await _spawn(launch)
    except OSError as error:
        transient = mailer.has("l") or error.errno in TRANSIENT_ERRNOS
        return from_exit(ex.EX_OSERR if transient else ex.EX_UNAVAILABLE,
                         f"Cannot exec {launch.path}: {os.strerror(error.errno or 0)}")
    talk = asyncio.ensure_future(_talk(proc, message))
    try:
        output = await asyncio.wait_for(asyncio.shield(talk), timeout)
    except asyncio.TimeoutError:
        _kill_group(proc)
        output = await _after_kill(talk)
        return _result(ex.EX_TEMPFAIL, launch, mailer, output,
                       f"endmailer {mailer.name}: wait timeout ({timeout:g}): "
                       "Connection timed out")
    except BaseException:
        _kill_group(proc)
        talk.cancel()
        raise
    status = proc.returncode
    if status is not None and status < 0:
        return _result(ex.EX_TEMPFAIL, launch, mailer, output,
                       f"mailer {mailer.name} died with signal {-status}")
    return _result(status or 0, launch, mailer, output)


async def _after_kill(talk: "asyncio.Future[str]") -> str:
    """The output once the killed group is gone; nothing if something that left the
    group still holds the pipe open."""
    try:
        return await asyncio.wait_for(talk, KILL_GRACE)
    except asyncio.TimeoutError:
        return ""


def _result(status: int, launch: Launch, mailer: Mailer, output: str, why: str = "") -> Outcome:
    """from_exit, with sendmail's words for a deferral (the text mailq shows), and what
    sendmail logs as a SYSERR (a time limit, a signal) after the program's output."""
    transcript = output
    if why:
        transcript += ("\n" if output and not output.endswith("\n") else "") + why + "\n"
    outcome = from_exit(status, transcript)
    if status != ex.EX_TEMPFAIL:
        return outcome
    text = f"Deferred: {mailer.name} mailer ({launch.path}) exited with EX_TEMPFAIL"
    return replace(outcome, text=text)


async def _spawn(launch: Launch) -> asyncio.subprocess.Process:
    """Start the program in the first D= directory that can be entered (sendmail tries
    them in order and stays where it is when none works)."""
    ident = launch.identity
    extra = {} if ident is None else {"user": ident.uid, "group": ident.gid,
                                      "extra_groups": list(ident.groups)}
    for cwd in (*launch.cwd, None):
        try:
            return await asyncio.create_subprocess_exec(
                launch.argv[0], *launch.argv[1:], executable=launch.path,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT, env=launch.env, cwd=cwd,
                start_new_session=True, **extra)
        except OSError as error:
            if cwd is None or error.filename != cwd:
                raise
    raise AssertionError("unreachable: the last try has no cwd")


async def _talk(proc: asyncio.subprocess.Process, message: bytes) -> str:
    """Feed stdin while reading the output (kept up to TRANSCRIPT_LIMIT), then reap."""
    async def feed() -> None:
        assert proc.stdin is not None
        try:
            proc.stdin.write(message)
            await proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the program stopped reading: its exit status says how it went
        finally:
            proc.stdin.close()

    async def read() -> bytes:
        assert proc.stdout is not None
        kept = bytearray()
        while chunk := await proc.stdout.read(65536):
            if len(kept) < TRANSCRIPT_LIMIT:
                kept += chunk[:TRANSCRIPT_LIMIT - len(kept)]
        return bytes(kept)

    _, output = await asyncio.gather(feed(), read())
    await proc.wait()
    return output.decode("utf-8", "replace")


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
