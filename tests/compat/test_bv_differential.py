"""monomail -bv against sendmail -bv: same cf, aliases, users and files; same output.

Both programs verify the same recipients on .cf files built from bv/*.mc with sendmail's
own m4, in the -bt sandbox (fixed host name, no network), with a synthetic /etc/passwd,
/etc/group and /etc/shells bind-mounted over the machine's: users with home folders made
here (.forward files that are fine, group writable, owned by someone else, missing,
unreadable, in world-writable folders...), :include: files with different owners and
modes, and the alias files in bv/, compiled by each program's own -bi into its own
settings folder.  Each case runs with and without -v; stdout, stderr and the exit code
must be sendmail's, byte for byte.

The candidate runs in one Python process per batch of cases that forks a child per case
and calls monomail's main() there (the interpreter start-up and module imports are the
only things shared); sendmail is exec'ed per case the same way.  Root is required (bind
mounts, chown), as for -bt.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

import btcompare
import oracle

BV_DIR = Path(__file__).resolve().parent / "bv"
CF_NAMES = ("basic", "features", "runas")
SHELLS = "# valid login shells (monomail -bv compat)\n/bin/sh\n/bin/bash\n"
ORPHAN_UID = 4242


@dataclass(frozen=True)
class Account:
    """A test user: passwd fields, and the files made in its home folder
    (name -> (content or None for a folder, mode, owner name or None for the user))."""

    name: str
    uid: int
    gecos: str
    shell: str = "/bin/sh"
    home_mode: int = 0o755
    files: dict[str, tuple[str | None, int, str | None]] = field(default_factory=dict)
    home: str | None = None   # relative to the work folder; None: home/NAME


def fwd(text: str, mode: int = 0o644, owner: str | None = None) -> tuple[str, int, str | None]:
    return text, mode, owner


ACCOUNTS = (
    Account("root", 0, "root", "/bin/bash", home="home/root"),
    Account("daemon", 1, "daemon", "/usr/sbin/nologin", home="nonexistent"),
    Account("mail", 8, "mail", "/usr/sbin/nologin", home_mode=0o2775, home="var-mail"),
    Account("news", 9, "news", "/usr/sbin/nologin"),
    Account("nobody", 65534, "nobody", "/usr/sbin/nologin", home="nonexistent"),
    Account("alice", 2001, "Alice Liddell", files={
        ".forward": fwd('alice@example.net, \\alice, "|/bin/cat"\n')}),
    Account("bob", 2002, "Bob Builder", "/bin/bash", files={
        ".forward": fwd("bob2@example.net\n", 0o664)}),
    Account("carol", 2003, "Carol", "/usr/sbin/nologin", files={
        ".forward": fwd('"|/bin/prog", /var/tmp/carolfile\n')}),
    Account("dave", 2004, "Dave X", home_mode=0o777, files={
        ".forward": fwd("daveother@example.net\n")}),
    Account("erin", 2005, "Erin", files={
        "fwd.txt": fwd("erin@example.net\n"), ".forward": ("fwd.txt", 0o777, "symlink")}),
    Account("frank", 2006, "Frank", files={".forward": fwd("frank@example.net\n", owner="root")}),
    Account("gina", 2007, "Gina", files={".forward": fwd("gina@example.net\n", owner="alice")}),
    Account("hank", 2008, "Hank", files={
        ".forward+box": fwd("hank-box@example.net\n"),
        ".forward": fwd("\\hank, hank@example.net\n")}),
    Account("ivan", 2009, "Ivan", files={
        ".forward.mail": fwd("ivan-host@example.net\n"), ".forward": fwd("ivan@example.net\n")}),
    Account("judy", 2010, "Judy", home="home/judy-missing"),
    Account("kate", 2011, "Kate", files={".forward": (None, 0o755, None)}),
    Account("mike", 2012, "Mike", files={".forward": fwd("mike@example.net\n", 0o000)}),
    Account("nina", 2013, "Nina", files={".forward": fwd("\\nina, nina@example.org\n")}),
    Account("olga", 2014, "Olga", files={".forward": fwd("olga2\n")}),
    Account("pete", 2015, "Peter Pan,,,"),
    Account("quinn", 2016, "Quinn", files={".forward": fwd(
        "# forwarding\r\n\r\n:include:{root}/lists/list.inc\r\n"
        "/var/tmp/q, quinn@example.org\r\n")}),
    Account("ruth", 2017, "&ine Smith", files={".forward": fwd('"|/usr/bin/procmail -m"\n')}),
    Account("ted", 2018, "Ted", files={
        ".forward": fwd("alice, alice, root, ted@example.net, ted@example.net, \\ted\n")}),
    Account("uma", 2019, "Uma", home_mode=0o775, files={".forward": fwd("uma@example.net\n")}),
    Account("awc", 2020, "Andrew Chang"),
)
#: include files: name -> (folder under lists/, mode, owner name or uid)
LIST_FILES = {
    "list.inc": ("", 0o644, "root"), "big.inc": ("", 0o644, "root"),
    "world.inc": ("open", 0o644, "root"), "groupw.inc": ("", 0o664, "root"),
    "private.inc": ("", 0o600, "root"), "carol.inc": ("", 0o644, "carol"),
    "orphan.inc": ("", 0o644, ORPHAN_UID), "self.inc": ("", 0o644, "root"),
}
EXTRA_GROUPS = "staffg:x:3000:alice,bob\n"

USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "gina", "hank", "ivan", "judy",
         "kate", "mike", "nina", "olga", "pete", "quinn", "ruth", "ted", "uma", "awc"]
ALIASES = ["root", "nosuchuser", "staff", "staff2", "alice2", "loop1", "prog", "file", "err1",
           "err2", "list", "biglist", "tolist", "self", "mixed", "gecos", "quoted", "upper",
           "plusd", "spaces", "continued", "relays", "olga2", "worldinc", "gwinc", "noinc",
           "privinc", "carolinc", "orphaninc", "selfinc", "deep1", "virt", "extra", "bounces",
           "postmaster", "MAILER-DAEMON", "PostMaster", "Andrew.Chang", "achang", "ring1"]
ADDRESSES = [
    ["staff,biglist"], ["root+detail"], ['"root"@mail.example.com'], ["root@localhost"],
    ["<root@[192.0.2.10]>"], ["joe@relay.example.net"], ["a@b@c"], ["@host:user@dom"],
    ["user%dom@mail.example.com"], ["host!user"], ['"|/bin/sh"'], ["/tmp/direct"],
    [":include:/etc/passwd"], ["ALICE"], ["Alice.Liddell"], ["Alice Liddell"],
    ["nosuch , alice,bob"], ["root", "daemon", "mail", "root"], ["nosuch ,nosuch2", "x y"],
    ['"Some One" <nosuch>, <nosuch2> (comment)'], [], ["a<b"], ['"quoted user"'], ["\\root"],
    ["root, root@mail.example.com, ROOT, Root@Mail.Example.Com"], ["root daemon"],
    ["x" * 300 + "@example.com"], ["j\xe9r\xf4me"], ["alice+box", "hank+box"],
    ["info@example.com", "nobody@virt.example.org"], ["<>"], ["@example.com"],
    ["staff\nbob"], ["root,,, ,daemon"], ["(just a comment)"], ["ted", "alice"],
    ["Staff"], ["first.last"], ["root@mail.example.com (The Boss)"],
    ["group: alice, bob;"], ['"/var/tmp/with space"'], ["alice\\"], ['"unbalanced'],
    ["<alice@mail.example.com>, <bob@[192.0.2.10]>"], ["owner-staff"], ["bounces"],
    ["root", "staff2", "biglist"], ["biglist, staff2, root"], ["staff", "staff2", "list"],
    ["root, "], ["x" * 300 + "@example.com, root"], ["a" * 120 + ", " + "b" * 120],
    ['"a\\"b"@example.com, root'], ["root (unbalanced"], ["<root", "daemon>"],
    ["-n", "staff"], ["-n", "alice", "postmaster"],
]
FEATURE_ADDRESSES = [
    ["Alice.Liddell"], ["Peter_Pan"], ["peter.pan"], ["staff2"], ["deep1"], ["hank+box"],
    ["hank"], ["ivan"], ["bob"], ["dave"], ["uma"], ["nobody@virt.example.org"],
    ["foo@virt.example.org"], ["info@example.com"], ["sales@example.com"],
    ["joe@example.net"], ["root daemon"], ["x@legacy.example.org"], ["x@example.biz"],
    ["x@partner.example.net"], ["x@sub.partner.example.net"], ["x@local.example.com"],
    ["list@virt.example.org"], ["staff", "root"], ["self"], ["alice", "Alice.Liddell"],
]
RUNAS_ADDRESSES = [["alice"], ["list"], ["carol"], ["quinn"], ["mail"], ["biglist"], ["root"]]


@dataclass(frozen=True)
class Case:
    cf: str
    args: tuple[str, ...]
    verbose: bool

    @property
    def argv(self) -> list[str]:
        return (["-v"] if self.verbose else []) + ["-bv", "-C", "{cf}"] + list(self.args)

    @property
    def id(self) -> str:
        shown = " ".join(self.args)[:60].encode("unicode_escape").decode("ascii")
        return f"{self.cf}{'-v' if self.verbose else ''}:{shown or '(none)'}"


def all_cases() -> list[Case]:
    """Every address with -v (its output includes the other's lines); the users, the
    addresses and RunAsUser without -v too (quiet output and exit codes)."""
    verbose = {"basic": [[u] for u in USERS] + [[a] for a in ALIASES] + ADDRESSES,
               "features": FEATURE_ADDRESSES, "runas": RUNAS_ADDRESSES}
    quiet = {"basic": [[u] for u in USERS] + ADDRESSES, "features": [],
             "runas": RUNAS_ADDRESSES}
    return [Case(cf, tuple(args), flag) for cf in CF_NAMES
            for flag, lists in ((False, quiet), (True, verbose)) for args in lists[cf]]


CASES = all_cases()


# --- the world both programs see ------------------------------------------------------------


def passwd_text(root: Path) -> str:
    lines = []
    for a in ACCOUNTS:
        home = root / (a.home or f"home/{a.name}")
        lines.append(f"{a.name}:x:{a.uid}:{a.uid}:{a.gecos}:{home}:{a.shell}")
    return "\n".join(lines) + "\n"


def group_text() -> str:
    names = {0: "root", 1: "daemon", 8: "mail", 9: "news", 65534: "nogroup"}
    lines = [f"{names.get(a.uid, a.name)}:x:{a.uid}:" for a in ACCOUNTS]
    return "\n".join(lines) + "\n" + EXTRA_GROUPS


def make_homes(root: Path) -> None:
    uids = {a.name: a.uid for a in ACCOUNTS}
    for a in ACCOUNTS:
        if a.home in ("nonexistent", "home/judy-missing"):
            continue
        home = root / (a.home or f"home/{a.name}")
        home.mkdir(parents=True, exist_ok=True)
        for name, (content, mode, owner) in a.files.items():
            path = home / name
            if owner == "symlink":
                path.symlink_to(str(content))
                continue
            if content is None:
                path.mkdir()
            else:
                path.write_text(content.replace("{root}", str(root)))
            os.chown(path, uids[owner or a.name], uids[owner or a.name])
            path.chmod(mode)
        os.chown(home, a.uid, a.uid)
        home.chmod(a.home_mode)


def make_lists(root: Path) -> None:
    uids = {a.name: a.uid for a in ACCOUNTS}
    for name, (folder, mode, owner) in LIST_FILES.items():
        where = root / "lists" / folder
        where.mkdir(parents=True, exist_ok=True)
        if folder:
            where.chmod(0o777)
        path = where / name
        shutil.copy(BV_DIR / "lists" / name, path)
        uid = owner if isinstance(owner, int) else uids[owner]
        os.chown(path, uid, uid)
        path.chmod(mode)


def settings_folder(root: Path, role: str, program: oracle.Program, cfs: list[Path],
                    mount: Path) -> Path:
    """tests/compat/etc plus the alias files, with every map the cfs name built by the
    program's own makemap (the alias databases follow, with its own -bi)."""
    folder = root / f"etc-{role}"
    maps = sorted({source for cf in cfs for source in btcompare.maps_used(cf, mount)})
    problems = btcompare.prepare_settings(program, folder, cfs[0], maps)
    assert not problems, problems
    for name in ("aliases", "aliases.extra"):
        (folder / name).write_text((BV_DIR / name).read_text().replace("{root}", str(root)))
    return folder


@dataclass
class World:
    root: Path
    cfs: dict[str, Path]
    mount: Path
    settings: dict[str, Path]

    def binds(self, role: str) -> list[tuple[Path, str]]:
        settings = self.settings[role]
        binds = [(settings, str(self.mount)), *oracle.system_binds(settings)]
        for name, target in (("passwd", "/etc/passwd"), ("group", "/etc/group"),
                             ("shells", "/etc/shells")):
            if os.path.exists(target):
                binds.append((self.root / name, target))
        return binds


def build_world(root: Path, programs: dict[str, oracle.Program]) -> World:
    root.mkdir()
    for folder in (root.parent, root):   # the users must reach their homes
        folder.chmod(0o755)
    (root / "passwd").write_text(passwd_text(root))
    (root / "group").write_text(group_text())
    (root / "shells").write_text(SHELLS)
    (root / "mqueue").mkdir(mode=0o755)   # RunAsUser must get in
    mount = root / "etc"
    mount.mkdir()
    make_homes(root)
    make_lists(root)
    world = World(root, {}, mount, {})
    for name in CF_NAMES:
        world.cfs[name] = oracle.build_sendmail_cf(BV_DIR / f"{name}.mc", root / f"{name}.cf",
                                                   mount)
    for role, program in programs.items():
        world.settings[role] = settings_folder(root, role, program, list(world.cfs.values()),
                                               mount)
        rebuild = run_cases(world, role, program, "basic", [["-bi", "-C", "{cf}"]])[0]
        assert rebuild.rc == 0, f"{program.name} -bi: {rebuild}"
        for db in world.settings[role].glob("aliases*.db"):
            db.chmod(0o644)   # readable after RunAsUser gives up root, as sites set it up
    return world


# --- running ---------------------------------------------------------------------------------

RUNNER = r"""
import json, os, sys
spec = json.load(open(sys.argv[1]))
if spec["inprocess"]:
    from monomail.cli.main import main
    import monomail.cli.verify, monomail.config.cfparser, monomail.maps.registry  # warm imports
for n, argv in enumerate(spec["cases"]):
    raw = [arg.encode("latin-1") for arg in argv]
    out = os.open(os.path.join(spec["outdir"], f"{n}.out"), os.O_WRONLY | os.O_CREAT, 0o644)
    err = os.open(os.path.join(spec["outdir"], f"{n}.err"), os.O_WRONLY | os.O_CREAT, 0o644)
    pid = os.fork()
    if pid == 0:
        os.dup2(out, 1)
        os.dup2(err, 2)
        if not spec["inprocess"]:
            os.execv(spec["program"], [spec["program"].encode()] + raw)
        code = 70
        try:
            code = main([os.fsdecode(arg) for arg in raw], prog="monomail")
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    with open(os.path.join(spec["outdir"], f"{n}.rc"), "w") as f:
        f.write(str(os.waitstatus_to_exitcode(status)))
"""


@dataclass(frozen=True)
class Run:
    stdout: str
    stderr: str
    rc: int

    def text(self) -> str:
        return f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}--- exit {self.rc}\n"


def run_cases(world: World, role: str, program: oracle.Program, cf: str,
              cases: list[list[str]]) -> list[Run]:
    """Run each argv ({cf} is the cf's path) in one sandbox; the outputs in order."""
    (world.root / "runs").mkdir(exist_ok=True)
    outdir = Path(tempfile.mkdtemp(prefix=f"{role}-{cf}-", dir=world.root / "runs"))
    spec = {"inprocess": program.name == "monomail", "program": program.argv[0],
            "outdir": str(outdir),
            "cases": [[arg.replace("{cf}", str(world.cfs[cf])) for arg in argv]
                      for argv in cases]}
    spec_file = outdir / "spec.json"
    spec_file.write_text(json.dumps(spec))
    argv = oracle.sandbox_argv([sys.executable, "-c", RUNNER, str(spec_file)],
                               world.binds(role), oracle.HOSTNAME)
    proc = subprocess.run(argv, capture_output=True, env={**os.environ, **program.env},
                          cwd=world.root, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    runs = []
    for n in range(len(cases)):
        read = lambda ext: (outdir / f"{n}.{ext}").read_bytes().decode("latin-1")  # noqa: E731
        runs.append(Run(read("out"), read("err"), int(read("rc"))))
    return runs


@pytest.fixture(scope="module")
def bv_results(bt_programs: dict[str, oracle.Program],
               bt_work_root: Path) -> Iterator[dict[Case, dict[str, Run]]]:
    world = build_world(bt_work_root / "bv", bt_programs)
    results: dict[Case, dict[str, Run]] = {case: {} for case in CASES}
    jobs = [(role, program, cf, chunk) for cf in CF_NAMES
            for role, program in bt_programs.items() for chunk in chunks(cf)]
    with ThreadPoolExecutor(max_workers=2) as pool:   # 2 cores: keep both busy
        done = pool.map(lambda job: run_cases(world, job[0], job[1], job[2],
                                              [c.argv for c in job[3]]), jobs)
        for (role, _, _, chunk), runs in zip(jobs, done):
            for case, run in zip(chunk, runs):
                results[case][role] = run
    yield results


def chunks(cf: str, size: int = 40) -> list[list[Case]]:
    cases = [c for c in CASES if c.cf == cf]
    return [cases[i:i + size] for i in range(0, len(cases), size)]


def test_enough_cases() -> None:
    """Every user, alias and address kind above, with and without -v."""
    assert len(CASES) >= 180


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bv_matches_sendmail(case: Case, bv_results: dict[Case, dict[str, Run]]) -> None:
    runs = bv_results[case]
    assert runs["candidate"].text() == runs["oracle"].text()
