"""Map lookups compared with real sendmail's `-bt` `/map` on the same K lines and data.

The oracle is fetched by tests/oracle.py (scripts/fetch-sendmail.sh) and runs under
`unshare` (root, as in CI); without them the test fails rather than skips.  Each program
reads map files built by its own makemap.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import oracle

from monomail.config.cfparser import parse_cf
from monomail.config.identity import Identity
from monomail.maps.hostlookup import HostLookup
from test_makemap import run_makemap
from test_maps import Ctx

ROOT = oracle.sendmail_root()
SENDMAIL = ROOT / "usr/libexec/sendmail/sendmail"
MAKEMAP = ROOT / "usr/libexec/sendmail/makemap"
LIBS = f"{ROOT}/lib/x86_64-linux-gnu:{ROOT}/usr/lib/x86_64-linux-gnu"

oracle.check_sandbox()

SOURCE = b"foo bar\nBaz Qux\nper %1+%2=%0!\nnul x\n"
TEXT = "Alpha one two\nbeta:x:y\n# comment\ngamma\t3\n  delta 4\nEps  %1-%0-%%-%x\n"
HOSTS = "127.0.0.1 localhost\n10.1.1.1 foo.example.com foo\n10.1.1.2 bar baz.example.org\n"

CF = """V10/Berkeley
Dmexample.com
O ServiceSwitchFile=DIR/switch
O HostsFile=DIR/hosts
O DontBlameSendmail=MapInUnsafeDirPath,LinkedMapInWritableDir
Mlocal, P=/bin/true, F=lsDFMAw5:/|@qPn9S, S=0, R=0, A=mail $u
Kh hash DIR/h
Kha hash -a.ok DIR/h
Khm hash -m -a! DIR/h
Kbn btree -N DIR/bn
Kbo btree -O DIR/bn
Kt text DIR/text.txt
Kt1 text -v1 DIR/text.txt
Kt2 text -k1 -v2 -z: DIR/text.txt
Kt4 text -z\\t -v1 DIR/text.txt
Kdq dequote
Kdqs dequote -S_
Kdq2 dequote -a. -s+
Kar arith
Karp arpa
Kr2 regex -s1 ^a(b+)(c)?
Kr3 regex -s2,1 -d+ ^a(b+)(c)?
Kr5 regex -n -a! ^a
Kr8 regex -b ^a\\(b*\\)c
Kr9 regex -s1 ^(.*)$
Ku user
Ku3 user -vshell -m
Ks sequence h t
Ksw.files text DIR/text.txt
Ksw switch hosts
Kim2 implicit DIR/nothere
Kn null
Kh5 host -a. -m
"""

COMMANDS = """h foo|h FOO|h nope|h per|h "foo"|ha foo|hm Foo|bn foo|bo foo|t alpha|t delta|t eps
t1 alpha|t1 eps|t2 x|t4 gamma|dq "a b"|dq "ab"|dq ab|dq "a"<b>|dqs "a b"|dq2 "a b"|dq2 "ab"
ar +|arp 1.2.3.4|arp IPv6:2001:db8::1|arp bogus|r2 abbc|r3 abb|r5 xyz|r5 abc|r8 abbbc|r9 a<b
u root|u ROOT|u nosuchuser|u3 Root|s foo|s alpha|s none|sw alpha|sw foo|im2 foo|n foo
host foo|host bar|host hidden|host foo.example.com.|h5 foo|host [10.1.1"""
RESULT = re.compile(r"map_lookup: (\S+) \((.*)\) (returns (.*) \((\d+)\)|no match \((\d+)\))$")


def settings(folder: Path) -> None:
    folder.mkdir()
    (folder / "text.txt").write_text(TEXT)
    (folder / "hosts").write_text(HOSTS)
    (folder / "switch").write_text("hosts files\n")
    (folder / "sendmail.cf").write_text(CF.replace("DIR", str(folder)))


def commands() -> list[tuple[str, str]]:
    return [tuple(c.split(" ", 1)) for c in COMMANDS.replace("\n", "|").split("|")]  # type: ignore


def real_results(folder: Path) -> list[tuple[str, ...]]:
    env = {**os.environ, "LD_LIBRARY_PATH": LIBS}
    for flags, kind, name in (([], "hash", "h"), (["-N"], "btree", "bn")):
        subprocess.run([str(MAKEMAP), "-C", str(folder / "sendmail.cf"), *flags, kind,
                        str(folder / name)], input=SOURCE, env=env, capture_output=True)
    script = "\n".join(f"/map {name} {key}" for name, key in commands()) + "\n"
    proc = subprocess.run(
        ["unshare", "-u", "-n", "sh", "-c", 'hostname mail.example.com; exec "$0" -bt -C "$1"',
         str(SENDMAIL), str(folder / "sendmail.cf")],
        input=script.encode(), env=env, capture_output=True, timeout=60)
    # safefile() warns about /tmp in the middle of result lines; those warnings are no result
    text = re.sub(r"WARNING: World writable directory [^\n]*\n", "",
                  proc.stdout.decode("latin-1"))
    out = text.replace("\n> ", "\n").splitlines()
    return [m.groups() for line in out if (m := RESULT.search(line))]


def our_results(folder: Path, cf: Path) -> list[tuple[str, ...]]:
    for flags, kind, name in (([], "hash", "h"), (["-N"], "btree", "bn")):
        run_makemap([*flags, kind, str(folder / name)], SOURCE, cf)
    text = (folder / "sendmail.cf").read_text(encoding="latin-1")
    config = parse_cf(str(folder / "sendmail.cf"), text,
                      identity=Identity("mail.example.com", "mail.example.com"))
    maps = dict(config.maps)
    ctx = Ctx(maps=maps, hosts=HostLookup(str(folder / "switch"), str(folder / "hosts")))
    results: list[tuple[str, ...]] = []
    for name, key in commands():
        value, status = maps[name].lookup_raw(key, [key], ctx)
        line = (f"map_lookup: {name} ({key}) " +
                (f"no match ({status})" if value is None else f"returns {value} ({status})"))
        match = RESULT.search(line)
        assert match is not None
        results.append(match.groups())
    return results


def test_map_lookups_agree_with_sendmail(tmp_path: Path) -> None:
    real, ours = tmp_path / "real", tmp_path / "ours"
    settings(real)
    settings(ours)
    expected = real_results(real)
    assert len(expected) == len(commands()), "the oracle did not answer every /map"
    got = our_results(ours, ours / "sendmail.cf")
    diffs = [(e, g) for e, g in zip(expected, got) if e[2:] != g[2:]]
    assert not diffs, "\n".join(f"sendmail {e}\nmonomail {g}" for e, g in diffs)
