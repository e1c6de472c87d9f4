"""What the deliver tests share: mailers from M lines, settings, a folder other users can
enter, a small tmpfs, and real sendmail's helper programs run in a private mount namespace."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping

import pytest

import oracle
from monomail.config.cfparser import parse_cf
from monomail.config.model import Mailer
from monomail.deliver.job import Account, AgentSettings, LockPolicy

# uids and gids with no passwd entry: files can be given to them, programs run as them
UID, GID = 4242, 4343
OTHER_UID = 4244
QUICK_LOCKS = LockPolicy(timeout=0.5, stale_after=300, first_sleep=0.01, longest_sleep=0.05)


def mailers(lines: str) -> dict[str, Mailer]:
    """The mailers of a cf made of `lines` (plus sendmail's predefined prog and *file*, and
    a local mailer when `lines` has none)."""
    if "Mlocal," not in lines:
        lines += "Mlocal, P=[monomail], F=lsDFMAw5:/|@qPmnz9, A=mbox $u\n"
    config = parse_cf("test.cf", "V10\n" + lines)
    assert not config.errors, config.errors
    return {m.name: m for m in config.mailers}


def settings(accounts: Mapping[str, Account] | None = None, **overrides: object) -> AgentSettings:
    values: dict[str, object] = {"lock": QUICK_LOCKS, "hostname": "mail.example.com"}
    if accounts is not None:
        values["accounts"] = dict(accounts).get
    values.update(overrides)
    return AgentSettings(**values)  # type: ignore[arg-type]


def require_root() -> None:
    """These tests change owners and identities: fail (never skip) without root, as CI has it."""
    if os.geteuid() != 0:
        pytest.fail("this test needs root (CI runs as root)", pytrace=False)


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A folder under /tmp that programs run as other users can write in (tmp_path is
    root's alone): sticky and writable by all, like /tmp."""
    path = Path(tempfile.mkdtemp(prefix="monomail-deliver-", dir="/tmp"))
    path.chmod(0o1777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A small file system at `path` (root only), to run out of space for real."""
    require_root()
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
                   check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


def fill(path: Path, leave: int = 0) -> None:
    """Use up the space of the file system holding `path`, but `leave` bytes."""
    filler = path / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    if leave:
        os.truncate(filler, max(0, filler.stat().st_size - leave))


def run_in_namespace(script: str, argv: list[str | bytes], stdin: bytes,
                     work: Path) -> subprocess.CompletedProcess:
    """Run real sendmail's `argv` under `unshare -u -n -m` after `script` (shell lines that
    mount what the program needs), with /etc overlaid so nothing reaches the machine's files."""
    require_root()
    upper, scratch = work / "etc-upper", work / "etc-work"
    upper.mkdir()
    scratch.mkdir()
    lines = ["set -e",
             f"mount -t overlay overlay -o lowerdir=/etc,upperdir={upper},workdir={scratch} /etc",
             script, 'exec "$@"']
    env = {**os.environ, **oracle.sendmail_env()}
    return subprocess.run(["unshare", "-u", "-n", "-m", "sh", "-c", "\n".join(lines), "sandbox",
                           *argv],
                          input=stdin, capture_output=True, env=env, check=False, timeout=60)


# a syslog daemon for sendmail's log lines: /dev/log into a file, until `finished` exists
# and nothing more is queued
_SYSLOGD = """import os, socket, sys
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind("/dev/log")
os.chmod("/dev/log", 0o666)
sock.settimeout(0.05)
print("ready", flush=True)
with open(sys.argv[1], "ab") as out:
    while True:
        try:
            out.write(sock.recv(65536).rstrip(b"\\n") + b"\\n")
        except socket.timeout:
            if os.path.exists(sys.argv[2]):
                break
os.rename(sys.argv[2], sys.argv[2] + ".done")
"""


def sendmail_log(argv: list[str], stdin: bytes, work: Path) -> tuple[int, list[str]]:
    """Run real sendmail (`argv` after the binary) in a private namespace with its own
    /dev/log, host name mail.example.com and an empty /root (for dead.letter); its exit
    status and log lines."""
    binary = sendmail_helper("sendmail")
    (work / "syslogd.py").write_text(_SYSLOGD)
    log, dev, finished = work / "log", work / "dev", work / "finished"
    dev.mkdir()
    script = "\n".join([
        f"mount --bind /dev {dev}", "mount -t tmpfs tmpfs /dev",
        *(f"touch /dev/{n} && mount --bind {dev}/{n} /dev/{n}"
          for n in ("null", "zero", "urandom")),
        "hostname mail.example.com",
        f"{sys.executable} {work}/syslogd.py {log} {finished} > {work}/ready &",
        f"while ! grep -q ready {work}/ready; do sleep 0.01; done",
        "mount -t tmpfs -o mode=0700 tmpfs /root"])
    run = (f'"$@"; status=$?; touch {finished}; '
           f"while [ ! -e {finished}.done ]; do sleep 0.01; done; exit $status")
    proc = run_in_namespace(script, ["sh", "-c", run, "sendmail", binary, *argv], stdin, work)
    lines = log.read_text().splitlines() if log.exists() else []
    return proc.returncode, lines


def sendmail_helper(name: str) -> str:
    """A program of Debian's sendmail-bin (mail.local, smrsh), fetched for the oracle."""
    try:
        return str(oracle.sendmail_root() / "usr/libexec/sendmail" / name)
    except oracle.OracleError as error:
        pytest.fail(f"fetching the sendmail oracle: {error}", pytrace=False)
