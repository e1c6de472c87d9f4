"""Differential `-bs` runs: the same SMTP dialogue through `sendmail -bs` and `monomail -bs`.

A script is a list of steps, each some bytes and the number of replies they must
produce; the runner writes a step only after the replies of the previous one came
back (lock step), because sendmail 8.18's checks (in Debian's 8.17.1.9-2+deb12u2)
refuse a client that sends before it was answered.  Script files (scripts/*.smtp):
one step a line, CR LF appended; `\\r`, `\\n`, `\\t`, `\\0`, `\\xNN` and `\\\\` are escapes; a
leading `N|` expects N replies (default one); `#` starts a comment line; a line
`@end` stops writing and closes stdin.

Both programs run in the oracle's sandbox (oracle.py: fixed host name, no network,
their own settings folder mounted where the cf looks, maps and aliases built by
their own makemap and newaliases) with -OQueueDirectory pointing at a scratch queue
and -OAuthMechanisms= (sendmail is built with SASL, monomail is not).

What may differ, masked before comparing (MASKS): the version and date in the
greeting, the queue id in "250 2.0.0 <id> Message accepted", the version in HELP.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compat"))

import btcompare  # noqa: E402
import oracle  # noqa: E402

SMTPD_DIR = Path(__file__).resolve().parent
SCRIPT_DIR = SMTPD_DIR / "scripts"
MC_DIR = SMTPD_DIR / "mc"
STEP_TIMEOUT = 30.0
ALIASES = "root: root\npostmaster: root\nstaff: root, postmaster\nnobody: /dev/null\n"

MASKS = (
    (re.compile(r"^(220[ -]\S+ ESMTP \S+) \S+/\S+; .*$"), r"\1 <version>; <date>"),
    (re.compile(r"^250 2\.0\.0 \S+ Message accepted for delivery$"),
     "250 2.0.0 <qid> Message accepted for delivery"),
    (re.compile(r"^(214-2\.0\.0 This is )\S+ version \S+$"), r"\1<MTA> version <version>"),
    (re.compile(r"^502 5\.3\.0 \S+ \S+ -- HELP not implemented$"),
     "502 5.3.0 <MTA> <version> -- HELP not implemented"),
)


@dataclass(frozen=True)
class Step:
    data: bytes
    replies: int = 1


def unescape(text: str) -> bytes:
    out = bytearray()
    i = 0
    escapes = {"r": b"\r", "n": b"\n", "t": b"\t", "0": b"\0", "\\": b"\\"}
    while i < len(text):
        if text.startswith("\\x", i) and re.match(r"[0-9a-fA-F]{2}", text[i + 2:i + 4]):
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        elif text[i] == "\\" and i + 1 < len(text) and text[i + 1] in escapes:
            out += escapes[text[i + 1]]
            i += 2
        else:
            out += text[i].encode("latin-1")
            i += 1
    return bytes(out)


def read_script(path: Path) -> list[Step]:
    steps = []
    for line in path.read_text(encoding="latin-1").split("\n"):
        if not line or line.startswith("#"):
            continue
        if line == "@end":
            break
        replies = 1
        match = re.match(r"(\d+)\|", line)
        if match:
            replies, line = int(match.group(1)), line[match.end():]
        steps.append(Step(unescape(line) + b"\r\n", replies))
    return steps


def scripts_for(cf_name: str) -> list[Path]:
    """scripts/*.smtp run against every cf; scripts/CF/*.smtp only against CF."""
    return sorted(SCRIPT_DIR.glob("*.smtp")) + sorted((SCRIPT_DIR / cf_name).glob("*.smtp"))


def mask(line: str) -> str:
    for pattern, replacement in MASKS:
        line = pattern.sub(replacement, line)
    return line


@dataclass
class Transcript:
    """What a program answered: one entry per step (its reply lines), then the rest
    it wrote after stdin was closed, and the exit code."""

    steps: list[list[str]]
    tail: list[str]
    rc: int

    def masked(self) -> list[str]:
        out = []
        for i, lines in enumerate(self.steps):
            out.append(f"--- step {i}")
            out += [mask(line) for line in lines]
        out.append("--- after end of input")
        out += [mask(line) for line in self.tail]
        out.append(f"--- exit {self.rc}")
        return out


class _Reader:
    """Reply lines from a pipe, with a deadline, without blocking on a dead peer."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buf = b""
        self.eof = False

    def line(self) -> str | None:
        while b"\n" not in self.buf:
            if self.eof:
                return None
            ready, _, _ = select.select([self.fd], [], [], STEP_TIMEOUT)
            if not ready:
                raise TimeoutError("no reply within the step timeout")
            chunk = os.read(self.fd, 65536)
            if not chunk:
                self.eof = True
                if self.buf:
                    rest, self.buf = self.buf, b""
                    return rest.decode("latin-1")
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("latin-1")

    def reply(self) -> list[str]:
        """Lines up to the last line of one reply ("NNN " or a line that is no reply)."""
        lines = []
        while True:
            line = self.line()
            if line is None:
                return lines
            lines.append(line)
            if not (len(line) >= 4 and line[:3].isdigit() and line[3] == "-"):
                return lines


def run_bs(program: oracle.Program, cf: Path, steps: list[Step], binds: list[tuple[Path, str]],
           queue: Path, extra: tuple[str, ...] = ()) -> Transcript:
    argv = oracle.sandbox_argv(
        [*program.argv, "-C", str(cf), f"-OQueueDirectory={queue}", "-OAuthMechanisms=",
         *extra, "-bs"], binds, oracle.HOSTNAME)
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env={**os.environ, **program.env})
    assert proc.stdin is not None and proc.stdout is not None
    reader = _Reader(proc.stdout.fileno())
    answered: list[list[str]] = [reader.reply()]
    try:
        for step in steps:
            if reader.eof:
                answered.append(["<closed>"])
                continue
            try:
                proc.stdin.write(step.data)
                proc.stdin.flush()
            except BrokenPipeError:
                answered.append(["<closed>"])
                continue
            lines: list[str] = []
            for _ in range(step.replies):
                try:
                    lines += reader.reply()
                except TimeoutError:
                    raise TimeoutError(f"{program.name}: no reply to {step.data[:60]!r} "
                                       f"within {STEP_TIMEOUT}s (got {lines})") from None
            if step.replies and not lines and reader.eof:
                lines = ["<closed>"]
            answered.append(lines)
        try:
            proc.stdin.close()
        except BrokenPipeError:
            pass
        tail = []
        while (line := reader.line()) is not None:
            tail.append(line)
        rc = proc.wait(timeout=STEP_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return Transcript(answered, tail, rc)


# --- configurations ------------------------------------------------------------------------

def cf_specs() -> list[btcompare.CfSpec]:
    """sendmail's generic-linux.mc, the compat .mc files and the ones made for SMTP."""
    specs = [spec for spec in btcompare.cf_specs() if spec.name in ("generic-linux", "maps")]
    specs += [btcompare.CfSpec(mc.stem, mc) for mc in sorted(MC_DIR.glob("*.mc"))]
    return specs


def cf_names() -> list[str]:
    return ["generic-linux", "maps", *sorted(p.stem for p in MC_DIR.glob("*.mc"))]


def make_workspace(spec: btcompare.CfSpec, root: Path,
                   programs: dict[str, oracle.Program]) -> btcompare.Workspace:
    """btcompare's workspace plus an alias file built by each program's newaliases."""
    ws = btcompare.make_workspace(spec, root, programs)
    for role, program in programs.items():
        settings = ws.settings[role]
        (settings / "aliases").write_text(ALIASES)
        binds = [(settings, str(ws.settings_mount)), *oracle.system_binds(settings)]
        argv = oracle.sandbox_argv([*program.argv, "-C", str(ws.cf),
                                    f"-OQueueDirectory={settings}", "-bi"], binds,
                                   oracle.HOSTNAME)
        proc = subprocess.run(argv, capture_output=True, env={**os.environ, **program.env},
                              timeout=60, check=False)
        if not (settings / "aliases.db").exists():
            raise oracle.OracleError(f"{program.name} -bi failed: {proc.stdout!r} {proc.stderr!r}")
    return ws


def run_both(ws: btcompare.Workspace, programs: dict[str, oracle.Program], steps: list[Step],
             scratch: Path) -> dict[str, Transcript]:
    """Both programs at once (each in lock step with its own client), each with an empty
    queue of its own."""
    def run(role: str) -> Transcript:
        queue = scratch / f"queue-{role}"
        if queue.exists():
            shutil.rmtree(queue)
        queue.mkdir(parents=True)
        queue.chmod(0o700)
        settings = ws.settings[role]
        binds = [(settings, str(ws.settings_mount)), *oracle.system_binds(settings)]
        return run_bs(programs[role], ws.cf, steps, binds, queue)
    with ThreadPoolExecutor(len(programs)) as pool:
        return dict(zip(programs, pool.map(run, programs)))


def queued_messages(scratch: Path, role: str) -> list[str]:
    """Queue ids with a control file in a program's scratch queue (both use qf<id>)."""
    queue = scratch / f"queue-{role}"
    return sorted(name[2:] for name in os.listdir(queue) if name.startswith("qf"))
