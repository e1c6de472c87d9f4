"""End-to-end relaying: smtp-source -> MTA -> smtp-sink, monomail against Postfix in one run.

    PYTHONPATH=. python3 bench/relay.py [--messages 20000] [--sessions 20] [--size 1024]
                                        [--only monomail|postfix] [--record]

For each MTA: Postfix's `smtp-sink` listens on a loopback port (the next hop), the MTA on
another, and `smtp-source -s 20 -m 20000 -l 1024` (a new connection per message, one
recipient in a remote domain) sends to the MTA, which relays everything to the sink.  The
clock runs from smtp-source's start until the sink has counted every message (its `-c`
counter), after a warm-up of 20 messages.  Both MTAs keep fsync on and log to a file.

  monomail  `python3 -m monomail -bD -C relay.cf` (PYTHONPATH = this checkout); the cf is
            built here from an .mc with monomail's m4: SMART_HOST [127.0.0.2], the relay
            mailer's `A=TCP $h SINKPORT`, DeliveryMode background, queue in the work folder,
            ConnectionCacheSize = --sessions (sendmail's default of 2 closes most connections
            after one message: 1,735 connections for 2,000 messages, +15% CPU).
  postfix   a private instance (`postfix -c DIR start-fg`: own config and queue folder,
            inet_interfaces=127.0.0.1, relayhost=[127.0.0.2]:SINKPORT, no client limits);
            /etc/postfix is only read, the system's Postfix is never started.

CPU is user+system time of the MTA's whole process tree from /proc, children that exited
included (their parents reaped them, so it is in their cutime/cstime): for Postfix master,
smtpd, cleanup, qmgr, smtp, postlogd..., for monomail its one process with its threads.
Memory is sampled every 0.2 s: the peak of the tree's summed RSS and of its summed PSS
(shared pages divided among the processes that map them, the fair figure for Postfix's
many processes).  Needs Debian's postfix package (`apt-get install postfix`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

# bench/queue.py would shadow the standard library's queue module
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

ROOT = Path(__file__).resolve().parents[1]
SENDER = "bench@client.example.org"
RECIPIENT = "user@example.net"
HOSTNAME = "mail.example.com"
NEXT_HOP = "127.0.0.2"     # not 127.0.0.1: that is in class w, and MailerToTriple drops a local smart host
TICK = os.sysconf("SC_CLK_TCK")
WARMUP = 20


# --------------------------------------------------------------------------- /proc

def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            kids.setdefault(ppid, []).append(int(entry))
    return kids


def tree(root: int) -> list[int]:
    """`root` and every process below it."""
    kids, found, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(kids.get(pid, ()))
    return found


def tree_cpu_seconds(root: int) -> tuple[float, float]:
    """User and system time of the tree, reaped children included (cutime, cstime)."""
    user = system = 0
    for pid in tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        user += int(fields[11]) + int(fields[13])
        system += int(fields[12]) + int(fields[14])
    return user / TICK, system / TICK


def tree_memory_kb(root: int) -> tuple[int, int]:
    """Summed RSS and PSS of the tree, in kB."""
    rss = pss = 0
    for pid in tree(root):
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("Rss:"):
                rss += int(line.split()[1])
            elif line.startswith("Pss:"):
                pss += int(line.split()[1])
    return rss, pss


class MemorySampler(threading.Thread):
    """Keeps the peak summed RSS and PSS of a process tree while it runs."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.peak_rss, self.peak_pss = root, 0, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            rss, pss = tree_memory_kb(self.root)
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)

    def stop(self) -> tuple[float, float]:
        self.done.set()
        self.join()
        return self.peak_rss / 1024, self.peak_pss / 1024


# --------------------------------------------------------------------------- the sink

class Sink:
    """Postfix's smtp-sink with its running counter (`-c`) read from stdout."""

    def __init__(self, port: int) -> None:
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        self.proc = subprocess.Popen(["smtp-sink", *user, "-c", f"{NEXT_HOP}:{port}", "256"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.count = self.sessions = 0
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        wait_for_port(port, self.proc, NEXT_HOP)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        pending = b""
        while chunk := os.read(self.proc.stdout.fileno(), 65536):
            pending += chunk
            counters = re.findall(rb"sess=(\d+) quit=\d+ mesg=(\d+)\r", pending)
            pending = pending[pending.rfind(b"\r") + 1:]
            if counters:
                with self.changed:
                    self.sessions, self.count = map(int, counters[-1])
                    self.changed.notify_all()

    def wait_for(self, count: int, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.count >= count, timeout)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def wait_for_port(port: int, proc: subprocess.Popen, host: str = "127.0.0.1",  # type: ignore[type-arg]
                  timeout: float = 30.0) -> None:
    """Until something accepts on host:port (the process must not have exited)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode} before listening")
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{proc.args}: nothing listens on {host}:{port} after {timeout:.0f} s")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


# --------------------------------------------------------------------------- the MTAs

class Monomail:
    name = "monomail"

    def __init__(self, work: Path, port: int, sink_port: int, sessions: int) -> None:
        self.work, self.port, self.sink_port = work, port, sink_port
        self.cache = sessions     # cached connections to the next hop, one per session
        self.proc: subprocess.Popen | None = None  # type: ignore[type-arg]

    def mc_text(self) -> str:
        w = self.work
        return f"""divert(-1)
divert(0)dnl
VERSIONID(`bench/relay.py')dnl
define(`confDOMAIN_NAME', `{HOSTNAME}')dnl
define(`MAIL_SETTINGS_DIR', `{w}/')dnl
define(`QUEUE_DIR', `{w}/queue')dnl
define(`ALIAS_FILE', `{w}/aliases')dnl
define(`confCW_FILE', `-o {w}/local-host-names')dnl
define(`confPID_FILE', `{w}/monomail.pid')dnl
define(`confDEAD_LETTER_DROP', `{w}/dead.letter')dnl
define(`confHOST_STATUS_DIRECTORY', `{w}/hoststat')dnl
define(`confCONTROL_SOCKET_NAME', `{w}/control')dnl
define(`STATUS_FILE', `{w}/statistics')dnl
define(`HELP_FILE', `{w}/helpfile')dnl
define(`confDELIVERY_MODE', `background')dnl
define(`confLOG_LEVEL', `9')dnl
define(`confMCI_CACHE_SIZE', `{self.cache}')dnl
define(`SMART_HOST', `[{NEXT_HOP}]')dnl
define(`RELAY_MAILER_ARGS', `TCP $h {self.sink_port}')dnl
DAEMON_OPTIONS(`Port={self.port}, Addr=127.0.0.1, Name=MTA')dnl
FEATURE(`no_default_msa')dnl
FEATURE(`nocanonify')dnl
FEATURE(`accept_unresolvable_domains')dnl
LOCAL_CONFIG
O Monomail.LogFile={w}/maillog
MAILER(`local')dnl
MAILER(`smtp')dnl
"""

    def start(self) -> int:
        w = self.work
        for folder in ("queue", "hoststat"):
            (w / folder).mkdir()
        (w / "aliases").write_text("postmaster: root\nMAILER-DAEMON: postmaster\n")
        (w / "local-host-names").write_text(HOSTNAME + "\n")
        (w / "relay.mc").write_text(self.mc_text())
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "-m", "monomail.config.mc", str(w / "relay.mc"),
                        "-o", str(w / "relay.cf")], check=True, env=env)
        subprocess.run([sys.executable, "-m", "monomail.aliases.newaliases", str(w / "aliases")],
                       check=False, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.proc = subprocess.Popen([sys.executable, "-m", "monomail", "-bD", "-C",
                                      str(w / "relay.cf")], env=env, cwd=w,
                                     stdout=open(w / "stdout", "wb"), stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.proc)
        return self.proc.pid

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Postfix:
    name = "postfix"

    def __init__(self, work: Path, port: int, sink_port: int, sessions: int) -> None:
        self.work, self.port, self.sink_port = work, port, sink_port
        self.etc, self.queue = work / "etc", work / "queue"
        self.proc: subprocess.Popen | None = None  # type: ignore[type-arg]

    def main_cf(self) -> str:
        w = self.work
        return f"""compatibility_level = 3.6
queue_directory = {self.queue}
data_directory = {w}/data
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = {HOSTNAME}
mydestination =
mynetworks = 127.0.0.0/8
relayhost = [{NEXT_HOP}]:{self.sink_port}
alias_maps =
alias_database =
local_recipient_maps =
maillog_file = {w}/maillog
maillog_file_prefixes = {w}
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
smtpd_tls_security_level = none
smtp_tls_security_level = none
biff = no
"""

    def master_cf(self) -> str:
        """Debian's master.cf with its smtpd listener moved to our port and no chroot (the
        private queue has no copy of /etc/hosts for a chrooted smtpd)."""
        out = []
        for line in Path("/etc/postfix/master.cf").read_text().splitlines():
            fields = line.split()
            if len(fields) >= 8 and not line[0].isspace() and not line.startswith("#"):
                if fields[:2] == ["smtp", "inet"]:
                    fields[0] = str(self.port)
                fields[4] = "n"
                line = " ".join(fields)
            out.append(line)
        return "\n".join(out) + "\n"

    def start(self) -> int:
        self.etc.mkdir()
        self.queue.mkdir()
        (self.work / "data").mkdir()
        shutil.chown(self.work / "data", "postfix")
        (self.etc / "main.cf").write_text(self.main_cf())
        (self.etc / "master.cf").write_text(self.master_cf())
        self.proc = subprocess.Popen(["postfix", "-c", str(self.etc), "start-fg"],
                                     stdout=open(self.work / "stdout", "wb"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        wait_for_port(self.port, self.proc)
        return int((self.queue / "pid" / "master.pid").read_text().split()[0])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            subprocess.run(["postfix", "-c", str(self.etc), "stop"], check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


# --------------------------------------------------------------------------- one run

@dataclass
class Row:
    name: str
    seconds: float          # first connect until the sink has every message
    intake_seconds: float   # smtp-source's own run (all messages accepted)
    delivered: int
    connections: int        # sessions the sink saw (the MTA's connection reuse)
    cpu: float              # CPU seconds of the MTA's tree
    system: float           # of which in the kernel
    rss_mb: float
    pss_mb: float


def send(port: int, messages: int, sessions: int, size: int) -> None:
    subprocess.run(["smtp-source", "-s", str(sessions), "-m", str(messages), "-l", str(size),
                    "-f", SENDER, "-t", RECIPIENT, "-M", "client.example.org",
                    f"127.0.0.1:{port}"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def start_profiler(folder: Path | None, name: str, root: int
                   ) -> subprocess.Popen | None:  # type: ignore[type-arg]
    """py-spy on monomail's process while the messages flow (collapsed stacks)."""
    if folder is None or name != "monomail":
        return None
    out = folder / f"relay-{name}.txt"
    return subprocess.Popen(["py-spy", "record", "--nonblocking", "--format", "raw",
                             "--output", str(out), "--pid", str(root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def measure(kind: type, args: argparse.Namespace, top: Path) -> Row:
    work = top / kind.name
    work.mkdir()
    sink_port, port = free_port(NEXT_HOP), free_port()
    sink = Sink(sink_port)
    mta = kind(work, port, sink_port, args.sessions)
    try:
        root = mta.start()
        send(port, WARMUP, 2, args.size)
        if not sink.wait_for(WARMUP, 60):
            raise RuntimeError(f"{kind.name}: the warm-up did not reach the sink "
                               f"({sink.count}/{WARMUP}); see {work}")
        target, sessions_before = sink.count + args.messages, sink.sessions
        sampler = MemorySampler(root)
        sampler.start()
        profiler = start_profiler(args.profile, kind.name, root)
        cpu_before = tree_cpu_seconds(root)
        start = time.monotonic()
        send(port, args.messages, args.sessions, args.size)
        intake = time.monotonic() - start
        sink.wait_for(target, args.timeout)
        seconds = time.monotonic() - start
        user, system = (after - before for after, before
                        in zip(tree_cpu_seconds(root), cpu_before))
        rss, pss = sampler.stop()
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait()
        delivered = sink.count - (target - args.messages)
        connections = sink.sessions - sessions_before
    finally:
        mta.stop()
        sink.stop()
    return Row(kind.name, seconds, intake, delivered, connections, user + system, system,
               rss, pss)


def report(row: Row, messages: int) -> str:
    note = "" if row.delivered >= messages else f"  ONLY {row.delivered} DELIVERED"
    return (f"{row.name:9} {row.delivered / row.seconds:7.0f} msgs/s end to end "
            f"({row.seconds:6.1f} s; intake {messages / row.intake_seconds:5.0f} msgs/s)  "
            f"{row.cpu * 1e6 / messages:5.0f} CPU-ms/1000 msgs ({row.system * 1e6 / messages:.0f} "
            f"system)  {row.connections} connections to the sink  "
            f"peak RSS {row.rss_mb:5.0f} MB, PSS {row.pss_mb:5.0f} MB{note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds to wait for the sink after smtp-source ends")
    parser.add_argument("--only", choices=("monomail", "postfix"), action="append")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="record monomail with py-spy (pip install py-spy) into DIR")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()
    for tool in ("smtp-source", "smtp-sink", "postfix"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: apt-get install postfix (the system MTA is not started)")
    top = Path(tempfile.mkdtemp(prefix="relay-bench-"))
    top.chmod(0o755)       # Postfix's processes (user postfix) must reach their folders
    rows = []
    try:
        for kind in (Monomail, Postfix):
            if args.only and kind.name not in args.only:
                continue
            rows.append(measure(kind, args, top))
            print(report(rows[-1], args.messages), flush=True)
    except BaseException:
        args.keep = True       # its logs explain the failure
        raise
    finally:
        if args.keep:
            print(f"work folder kept: {top}")
        else:
            shutil.rmtree(top, ignore_errors=True)
    by = {row.name: row for row in rows}
    if len(by) == 2:
        mono, post = by["monomail"], by["postfix"]
        print(f"monomail/postfix: msgs/s {post.seconds / mono.seconds:.2f}x, "
              f"CPU {mono.cpu / post.cpu:.2f}x, PSS {mono.pss_mb / post.pss_mb:.2f}x")
    if args.record:
        record(rows, args)


def record(rows: list[Row], args: argparse.Namespace) -> None:
    day = time.strftime("%Y-%m-%d")
    lines = [f"| {day} | {row.name} | {args.messages:,} | {row.delivered / row.seconds:,.0f} | "
             f"{args.messages / row.intake_seconds:,.0f} | "
             f"{row.cpu * 1e6 / args.messages:,.0f} ({row.system * 1e6 / args.messages:,.0f}) | "
             f"{row.connections:,} | {row.rss_mb:.0f} | {row.pss_mb:.0f} |"
             for row in rows]
    with open(ROOT / "bench" / "RESULTS.md", "a") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
