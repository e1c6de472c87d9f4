"""Program mailers: argv and stdin, exit statuses, output, environment, identity, working
folder, time limits and smrsh's rules."""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from pathlib import Path

import pytest

import oracle
import deliver_support
from deliver_support import GID, UID, mailers, require_root, sendmail_log, settings
from monomail.config.cfparser import parse_cf
from monomail import sysexits as ex
from monomail.deliver.agents import deliver
from monomail.deliver.job import Job, Owner, Recipient, user_environment
from monomail.deliver.program import TRANSCRIPT_LIMIT

open_dir = deliver_support.open_dir  # the fixture

MESSAGE = b"From: ann@example.org\nSubject: hi\n\nbody\n"


def script(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n" + text)
    path.chmod(0o755)
    return path


def mailer(path: Path | str, args: str = "$u", flags: str = "lsDFMq9", extra: str = ""):
    return mailers(f"Mt, P={path}, F={flags},{extra} A=t {args}\n")["t"]


async def run(m, users=("ann",), message: bytes = MESSAGE, owner: Owner | None = None, **kw):
    job = Job(m, "joe@example.com", tuple(Recipient(u, "example.org", owner=owner)
                                          for u in users), message)
    return await deliver(job, settings(**kw))


async def test_message_on_stdin_and_argv(open_dir: Path) -> None:
    prog = script(open_dir, "p", f'echo "$*" > {open_dir}/argv; cat > {open_dir}/msg\n')
    (outcome,) = await run(mailer(prog, "-x $u $h"))
    assert outcome.ok and outcome.text == "Sent" and outcome.transcript == ""
    assert (open_dir / "msg").read_bytes() == MESSAGE
    assert (open_dir / "argv").read_text() == "-x ann example.org\n"


async def test_argv0_is_the_first_a_word_not_the_path() -> None:
    (outcome,) = await run(mailer("/bin/sh", "-c $u"), ["cat /proc/$$/cmdline"])
    assert outcome.transcript == "t\0-c\0cat /proc/$$/cmdline\0"


async def test_m_flag_runs_once_with_every_user(open_dir: Path) -> None:
    prog = script(open_dir, "p", f'echo "$*" >> {open_dir}/runs\n')
    outcomes = await run(mailer(prog, flags="mlsDFMq9"), ["ann", "bob", "cy"])
    assert [o.ok for o in outcomes] == [True] * 3
    assert (open_dir / "runs").read_text() == "ann bob cy\n"
    await run(mailer(prog), ["dee", "eve"])
    assert (open_dir / "runs").read_text() == "ann bob cy\ndee\neve\n"


@pytest.mark.parametrize("status, text, dsn", [
    (75, "Deferred: t mailer ({}) exited with EX_TEMPFAIL", "4.2.0"),
    (67, "User unknown", "5.1.1"), (69, "Service unavailable", "5.5.0"),
    (73, "Can't create output", "5.3.0"), (1, "unknown mailer error 1", "5.5.0"),
])
async def test_exit_status_and_output(open_dir: Path, status: int, text: str, dsn: str) -> None:
    prog = script(open_dir, "p", f"cat >/dev/null; echo out; echo err >&2; exit {status}\n")
    outcomes = await run(mailer(prog, flags="mlsDFMq9"), ["ann", "bob"])
    assert [(o.text, o.dsn) for o in outcomes] == [(text.format(prog), dsn)] * 2
    assert outcomes[0].transcript == "out\nerr\n"
    assert outcomes[0].retry == (status == 75)


async def test_output_is_kept_up_to_a_limit(open_dir: Path) -> None:
    prog = script(open_dir, "p", "head -c 1000000 /dev/zero | tr '\\0' x; exit 75\n")
    (outcome,) = await run(mailer(prog), message=b"x" * 2_000_000)
    assert outcome.exit == ex.EX_TEMPFAIL
    assert outcome.transcript == "x" * TRANSCRIPT_LIMIT


async def test_program_that_reads_nothing_of_a_big_message(open_dir: Path) -> None:
    prog = script(open_dir, "p", "exit 0\n")
    (outcome,) = await run(mailer(prog), message=b"y" * 5_000_000)
    assert outcome.ok


async def test_environment_is_sendmails_only(open_dir: Path) -> None:
    env = user_environment({"FOO": "bar"}, "Europe/Paris")
    (outcome,) = await run(mailer("/usr/bin/env", "$u", flags="lsDFMq9"), ["-0"],
                           environment=env)
    assert outcome.ok
    seen = dict(v.split("=", 1) for v in outcome.transcript.split("\0") if v)
    assert seen == {"AGENT": "sendmail", "FOO": "bar", "TZ": "Europe/Paris"}


def test_timezone_spec_rules() -> None:
    outer = {"TZ": "UTC"}
    assert "TZ" not in user_environment({}, None, outer)
    assert user_environment({}, "", outer)["TZ"] == "UTC"
    assert user_environment({"TZ": "X"}, None, outer)["TZ"] == "X"
    assert user_environment({"AGENT": "other"}, None, outer)["AGENT"] == "other"


async def test_wait_limit_kills_the_whole_process_group(open_dir: Path) -> None:
    prog = script(open_dir, "p", f"sleep 60 & echo $! > {open_dir}/child; echo started; "
                                 "wait\n")
    start = time.monotonic()
    (outcome,) = await run(mailer(prog, extra=" W=1,"))
    assert time.monotonic() - start < 10
    assert (outcome.exit, outcome.retry) == (ex.EX_TEMPFAIL, True)
    assert outcome.text == f"Deferred: t mailer ({prog}) exited with EX_TEMPFAIL"
    assert outcome.transcript == ("started\nendmailer t: wait timeout (1): "
                                  "Connection timed out\n")
    child = int((open_dir / "child").read_text())
    assert not _alive(child)


async def test_agent_time_limit_when_the_mailer_has_none(open_dir: Path) -> None:
    prog = script(open_dir, "p", "exec sleep 60\n")
    (outcome,) = await run(mailer(prog), program_timeout=0.3)
    assert outcome.retry
    assert outcome.transcript == "endmailer t: wait timeout (0.3): Connection timed out\n"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


async def test_death_by_signal_defers(open_dir: Path) -> None:
    prog = script(open_dir, "p", "kill -9 $$\n")
    (outcome,) = await run(mailer(prog))
    assert outcome.retry and outcome.transcript == "mailer t died with signal 9\n"


@pytest.mark.parametrize("flags, status", [("lsDFMq9", ex.EX_OSERR),
                                           ("sDFMq9", ex.EX_UNAVAILABLE)])
async def test_program_that_cannot_be_run(open_dir: Path, flags: str, status: int) -> None:
    (outcome,) = await run(mailer(open_dir / "missing", flags=flags))
    assert outcome.exit == status
    assert outcome.transcript == f"Cannot exec {open_dir}/missing: No such file or directory"


async def test_runs_as_the_controlling_user_with_o(open_dir: Path) -> None:
    require_root()
    owner = Owner(UID, GID, None, home=str(open_dir))
    (outcome,) = await run(mailer("/bin/sh", "-c $u", flags="lsoDFMq9", extra=" D=$z:/,"),
                           ["id -u; id -g; id -G; pwd"], owner=owner)
    assert outcome.transcript == f"{UID}\n{GID}\n{GID}\n{open_dir}\n"


async def test_runs_as_default_user_without_a_controlling_user(open_dir: Path) -> None:
    require_root()
    (outcome,) = await run(mailer("/bin/sh", "-c $u", extra=" D=/nonexistent:/,"),
                           ["id -u; id -g; pwd"], owner=Owner(UID, GID),
                           default_owner=Owner(UID + 1, GID + 1, None))
    assert outcome.transcript == f"{UID + 1}\n{GID + 1}\n/\n"


async def test_specific_uid_flag_runs_as_the_mailers_user(open_dir: Path) -> None:
    require_root()
    (outcome,) = await run(mailer("/bin/sh", "-c $u", flags="lsSDFMq9", extra=f" U={UID}:{GID},"),
                           ["id -u; id -g"], owner=Owner(UID + 5, GID + 5))
    assert outcome.transcript == f"{UID}\n{GID}\n"


async def test_prog_recipient_through_the_shell(open_dir: Path) -> None:
    m = mailers("")["prog"]
    job = Job(m, "joe@example.com", (Recipient(f'"|cat > {open_dir}/out"'),), MESSAGE)
    (outcome,) = await deliver(job, settings(privileged=False))
    assert outcome.ok and (open_dir / "out").read_bytes() == MESSAGE


async def test_smrsh_directory_limits_prog_recipients(open_dir: Path) -> None:
    programs = open_dir / "smrsh"
    programs.mkdir()
    script(open_dir, "keep", f'echo "$PATH|$AGENT|$*"; cat > {open_dir}/kept\n')
    (programs / "keep").symlink_to(open_dir / "keep")
    prog = mailers("")["prog"]

    async def prog_run(command: str):
        job = Job(prog, "joe@example.com", (Recipient("|" + command),), MESSAGE)
        (outcome,) = await deliver(job, settings(privileged=False,
                                                 smrsh_directory=str(programs)))
        return outcome
    allowed = await prog_run("/usr/local/bin/keep one two")
    assert allowed.ok and allowed.transcript == "/usr/bin:/bin||one two\n"
    assert (open_dir / "kept").read_bytes() == MESSAGE
    refused = await prog_run("/bin/cat > /etc/motd")
    assert (refused.exit, refused.text) == (ex.EX_UNAVAILABLE, "Service unavailable")
    assert refused.transcript == 'smrsh: "cat" not available for sendmail programs (stat failed)'
    redirect = await prog_run("keep > /etc/motd")
    assert redirect.transcript == "smrsh: cannot use > in command"


SIGNAL = -9
SENDMAIL_STATUSES = [0, 1, *range(64, 79), SIGNAL]


@pytest.fixture(scope="module")
def local_program_cf(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A cf from sendmail's own m4 whose local mailer is a program that exits with the
    status written in `status` (or kills itself for SIGNAL)."""
    base = Path(tempfile.mkdtemp(prefix="deliver-", dir=oracle.safe_work_root()))
    (base / "mqueue").mkdir(mode=0o700)
    for name in ("aliases", "cw"):
        (base / name).write_text("")
    script(base, "prog", f"cat >/dev/null; echo said $*\n"
                         f'[ "$(cat {base}/status)" = {SIGNAL} ] && kill -9 $$\n'
                         f"exit $(cat {base}/status)\n")
    (base / "t.mc").write_text("".join(
        f"define(`{name}', `{value}')dnl\n" for name, value in (
            ("confDOMAIN_NAME", "mail.example.com"), ("QUEUE_DIR", base / "mqueue"),
            ("ALIAS_FILE", base / "aliases"), ("confCW_FILE", base / "cw"),
            ("LOCAL_MAILER_PATH", base / "prog"), ("LOCAL_MAILER_ARGS", "prog $u")))
        + "OSTYPE(`linux')dnl\nMAILER(`local')dnl\n")
    try:
        cf = oracle.build_sendmail_cf(base / "t.mc", base / "t.cf")
    except oracle.OracleError as error:
        pytest.fail(str(error), pytrace=False)
    yield base, cf
    shutil.rmtree(base, ignore_errors=True)


async def test_statuses_logged_as_sendmail_logs_them(local_program_cf: tuple[Path, Path],
                                                      tmp_path: Path) -> None:
    """For each exit status of the local mailer's program, real sendmail's log line
    (dsn= and stat=) and monomail's Outcome say the same, on the same cf."""
    base, cf = local_program_cf
    mailer = parse_cf(str(cf)).mailer("local")
    for status in SENDMAIL_STATUSES:
        (base / "status").write_text(f"{status}\n")
        work = tmp_path / str(status)
        work.mkdir()
        _, lines = sendmail_log(["-C", str(cf), "-odi", "-oeq", "-f", "root", "root"],
                                b"Subject: x\n\nhi\n", work)
        logged = [re.search(r"dsn=(.*?), stat=(.*)", line) for line in lines]
        theirs = [(m.group(1), m.group(2)) for m in logged if m]
        job = Job(mailer, "root", (Recipient("root"),), b"Subject: x\n\nhi\n")
        (outcome,) = await deliver(job, settings())
        assert theirs == [(outcome.log_dsn, outcome.text)], status
