"""Real sendmail as a test oracle: fetch it, build .cf files with its m4 tree, run `-bt` sessions.

monomail must print what `sendmail -bt` prints, byte for byte, on the same sendmail.cf.  These
helpers run either program the same way, so that the only difference left is the program:

* both run as root under `unshare -u -n -m` with the host name set to HOSTNAME, no network (lo is
  down, so DNS fails at once instead of timing out) and a private mount namespace in which the
  test's own hosts/nsswitch/resolv files are bind-mounted over /etc, so nothing of the machine
  leaks into the output;
* each program gets its own settings folder (maps built by its own makemap) bind-mounted onto
  the one path that the .cf names.

Nothing here is committed output: the oracle is fetched and the .cf files are generated at test
time.  If `unshare` is not permitted the callers must fail, not skip (CI runs as root).

Environment: MONOMAIL_SENDMAIL_CACHE (where fetch-sendmail.sh unpacks, default .cache/sendmail),
MONOMAIL_COMPAT_WORKDIR (where generated .cf files and settings go; it must have no group- or
world-writable parent, so not /tmp).
"""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, NamedTuple, Sequence

REPO_ROOT = Path(__file__).resolve().parents[1]
FETCH_SCRIPT = REPO_ROOT / "scripts" / "fetch-sendmail.sh"
HOSTNAME = "mail.example.com"

#: System files replaced inside the mount namespace (target -> name in the settings folder).
SYSTEM_FILES = {
    "/etc/hosts": "hosts",
    "/etc/nsswitch.conf": "nsswitch.conf",
    "/etc/resolv.conf": "resolv.conf",
}


class OracleError(RuntimeError):
    """The oracle (or the sandbox it runs in) could not be set up; tests must fail on it."""


class BtRun(NamedTuple):
    """What one `-bt` session printed; unpacks as (stdout, stderr, rc)."""

    stdout: str
    stderr: str
    rc: int


@dataclass(frozen=True)
class Program:
    """A sendmail-compatible program: how to run it, its makemap, and its environment."""

    name: str
    argv: tuple[str, ...]
    makemap_argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)


# --- the oracle -------------------------------------------------------------------------------


@functools.cache
def sendmail_cache() -> Path:
    """Fetch Debian's sendmail once per process (scripts/fetch-sendmail.sh) and return its folder."""
    cmd = ["sh", str(FETCH_SCRIPT)]
    if os.environ.get("MONOMAIL_SENDMAIL_CACHE"):
        cmd.append(os.environ["MONOMAIL_SENDMAIL_CACHE"])
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise OracleError(
            f"{FETCH_SCRIPT.name} failed (rc={proc.returncode}):\n{proc.stdout}{proc.stderr}"
        )
    cache = Path(proc.stdout.strip().splitlines()[-1])
    if not (cache / "root/usr/libexec/sendmail/sendmail").exists():
        raise OracleError(f"{FETCH_SCRIPT.name} printed {cache}, which holds no sendmail binary")
    return cache


def sendmail_root() -> Path:
    """The unpacked Debian packages (a private root, never installed on the machine)."""
    return sendmail_cache() / "root"


def sendmail_cf_dir() -> Path:
    """sendmail's own m4 tree (cf/, m4/, feature/, ...), where .mc files are built."""
    return sendmail_root() / "usr/share/sendmail/cf"


def sendmail_env() -> dict[str, str]:
    """LD_LIBRARY_PATH for the unpacked binaries (libmilter etc. are not installed system-wide)."""
    root = sendmail_root()
    libs = [root / "lib/x86_64-linux-gnu", root / "usr/lib/x86_64-linux-gnu"]
    return {"LD_LIBRARY_PATH": ":".join(str(p) for p in libs)}


def sendmail_program() -> Program:
    """Real sendmail 8.17 and its makemap."""
    libexec = sendmail_root() / "usr/libexec/sendmail"
    return Program(
        name="sendmail",
        argv=(str(libexec / "sendmail"),),
        makemap_argv=(str(libexec / "makemap"),),
        env=sendmail_env(),
    )


def monomail_program() -> Program:
    """monomail from this work tree (installed or not) and its own makemap."""
    makemap = "import sys; from monomail.maps.makemap import main; sys.exit(main())"
    return Program(
        name="monomail",
        argv=(sys.executable, "-m", "monomail"),
        makemap_argv=(sys.executable, "-c", makemap),
        env={"PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))},
    )


def program_by_name(name: str) -> Program:
    """`sendmail` or `monomail`: the candidate can be sendmail itself to check the harness."""
    programs = {"sendmail": sendmail_program, "monomail": monomail_program}
    if name not in programs:
        raise OracleError(f"unknown program {name!r}; choose one of {sorted(programs)}")
    return programs[name]()


# --- building configuration ------------------------------------------------------------------


def m4_defines(settings_dir: Path | None) -> list[str]:
    """-D options pointing every file a .cf reads at the test's settings folder.

    MAIL_SETTINGS_DIR moves /etc/mail/* (local-host-names, maps, helpfile, ...); the hosts
    file and the service switch are not under it by default, so they are set explicitly.
    """
    if settings_dir is None:
        return []
    base = f"{settings_dir}/"
    return [
        f"-DMAIL_SETTINGS_DIR={base}",
        f"-DconfHOSTS_FILE={base}hosts",
        f"-DconfSERVICE_SWITCH_FILE={base}service.switch",
    ]


def build_sendmail_cf(mc_path: Path, out_path: Path, settings_dir: Path | None = None) -> Path:
    """Build a .cf from an .mc with sendmail's own m4 tree (`m4 m4/cf.m4 file.mc`)."""
    m4 = shutil.which("m4")
    if m4 is None:
        raise OracleError("GNU m4 is not on PATH (Debian's m4 or the cmeel-m4 wheel)")
    cmd = [m4, *m4_defines(settings_dir), "m4/cf.m4", str(Path(mc_path).resolve())]
    proc = subprocess.run(cmd, cwd=sendmail_cf_dir(), capture_output=True, text=True, check=False)
    if proc.returncode != 0 or "*** ERROR" in proc.stderr:
        raise OracleError(f"m4 failed on {mc_path} (rc={proc.returncode}):\n{proc.stderr}")
    out_path = Path(out_path)
    out_path.write_text(proc.stdout)
    return out_path


def build_map(program: Program, map_type: str, source: Path, map_base: Path, cf: Path) -> None:
    """Build one database map with the program's own makemap (`makemap -C CF TYPE BASE < SOURCE`).

    sendmail's makemap reads a .cf (for TrustedUser) and fails without /etc/mail/sendmail.cf,
    hence -C.
    """
    with open(source, "rb") as src:
        proc = subprocess.run(
            [*program.makemap_argv, "-C", str(cf), map_type, str(map_base)],
            stdin=src,
            capture_output=True,
            env={**os.environ, **program.env},
            check=False,
        )
    if proc.returncode != 0:
        raise OracleError(
            f"{program.name} makemap {map_type} {map_base} failed (rc={proc.returncode}):\n"
            + proc.stdout.decode(errors="replace")
            + proc.stderr.decode(errors="replace")
        )


# --- the sandbox -------------------------------------------------------------------------------


def unsafe_ancestor(path: Path) -> Path | None:
    """The first folder on the way to path that is group- or world-writable, or that other
    users cannot pass through, if any.

    sendmail refuses files under writable folders ("World writable directory"), /tmp
    included; and the tests check files as other users too (.forward, :include:), which a
    folder like /root (mode 0700) would stop.  The settings folders live somewhere else.
    """
    for folder in [path, *path.parents]:
        if folder.exists() and (folder.stat().st_mode & 0o022 or not folder.stat().st_mode & 0o001):
            return folder
    return None


def safe_work_root() -> Path:
    """A folder for generated .cf files and settings that sendmail accepts as safe."""
    candidates = [
        os.environ.get("MONOMAIL_COMPAT_WORKDIR"),
        str(REPO_ROOT / ".cache" / "compat-work"),
        str(Path.home() / ".cache" / "monomail-compat-work"),
        "/var/lib/monomail-compat-work",
    ]
    for candidate in filter(None, candidates):
        path = Path(candidate)
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o755)
        if unsafe_ancestor(path) is None:
            return path
    raise OracleError(
        "no work folder free of group/world-writable parents (sendmail rejects files below "
        "them); set MONOMAIL_COMPAT_WORKDIR to one"
    )


def sandbox_script(binds: Sequence[tuple[Path, str]], hostname: str) -> str:
    """The shell run inside `unshare`: set the host name, bind-mount files, exec the program."""
    lines = ["set -e", f"hostname {shlex.quote(hostname)}"]
    for source, target in binds:
        lines.append(f"mount --bind {shlex.quote(str(source))} {shlex.quote(target)}")
    lines.append('exec "$@"')
    return "\n".join(lines)


def system_binds(settings_dir: Path) -> list[tuple[Path, str]]:
    """Bind the test's hosts/nsswitch/resolv files over the machine's ones that exist."""
    binds = []
    for target, name in SYSTEM_FILES.items():
        source = settings_dir / name
        if source.exists() and os.path.exists(target):
            binds.append((source, target))
    return binds


def sandbox_argv(argv: Sequence[str], binds: Sequence[tuple[Path, str]], hostname: str) -> list[str]:
    """argv wrapped in a fresh UTS, network and mount namespace."""
    script = sandbox_script(binds, hostname)
    return ["unshare", "-u", "-n", "-m", "sh", "-c", script, "sandbox", *argv]


@functools.cache
def check_sandbox() -> None:
    """Raise OracleError (so tests fail, not skip) when namespaces or bind mounts are refused."""
    if shutil.which("unshare") is None:
        raise OracleError("`unshare` (util-linux) is not installed; the -bt tests need it")
    probe = sandbox_argv(["hostname"], [(Path("/etc/hostname"), "/etc/hostname")]
                         if os.path.exists("/etc/hostname") else [], HOSTNAME)
    proc = subprocess.run(probe, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or proc.stdout.strip() != HOSTNAME:
        raise OracleError(
            "cannot run `unshare -u -n -m` with a bind mount (the -bt tests need root, as in CI): "
            f"rc={proc.returncode} stdout={proc.stdout!r} stderr={proc.stderr.strip()!r}"
        )


def run_bt(
    program_argv: Sequence[str],
    cf: Path,
    stdin_text: str,
    *,
    env: Mapping[str, str] | None = None,
    binds: Sequence[tuple[Path, str]] = (),
    hostname: str = HOSTNAME,
    timeout: float = 120,
) -> BtRun:
    """Run `PROGRAM -bt -C cf` in the sandbox with stdin_text on a pipe (not a tty).

    stdout and stderr are kept apart and decoded with surrogateescape, so that any byte the
    programs print survives a comparison.
    """
    check_sandbox()
    argv = sandbox_argv([*program_argv, "-bt", "-C", str(cf)], binds, hostname)
    proc = subprocess.run(
        argv,
        input=stdin_text.encode("utf-8", "surrogateescape"),
        capture_output=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )
    decode = functools.partial(bytes.decode, encoding="utf-8", errors="surrogateescape")
    return BtRun(decode(proc.stdout), decode(proc.stderr), proc.returncode)
