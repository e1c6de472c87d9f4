"""monomail -bt against real sendmail -bt on sendmail's own generic-linux.cf.

Both run with a fixed host name and no network (unshare -u -n), on a cf that
sendmail's own m4 builds at test time; the whole output must be identical.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from pathlib import Path

import oracle
import pytest

ROOT = Path(__file__).resolve().parents[2]
INPUTS = Path(__file__).parent / "smoke"


@pytest.fixture(scope="session")
def sendmail_root() -> Path:
    out = subprocess.run([str(ROOT / "scripts" / "fetch-sendmail.sh")], capture_output=True,
                         text=True, check=True)
    return Path(out.stdout.strip()) / "root"


@pytest.fixture(scope="session")
def generic_cf(sendmail_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfdir = sendmail_root / "usr" / "share" / "sendmail" / "cf"
    out = tmp_path_factory.mktemp("cf") / "generic-linux.cf"
    with out.open("w") as f:
        subprocess.run(["m4", "m4/cf.m4", "cf/generic-linux.mc"], cwd=cfdir, stdout=f,
                       check=True)
    return out


def isolated(argv: list[str], stdin: str, env: dict[str, str]) -> str:
    """Run argv with host name mail.example.com and no network; stdout and exit code."""
    script = "hostname mail.example.com; exec \"$@\""
    proc = subprocess.run(["unshare", "-u", "-n", "sh", "-c", script, "sh", *argv],
                          input=stdin.encode("latin-1"), capture_output=True, env=env,
                          timeout=120)
    assert not proc.stderr, proc.stderr.decode("latin-1")
    return proc.stdout.decode("latin-1") + f"\n[exit {proc.returncode}]"


@pytest.fixture(scope="session")
def header_check_cf(generic_cf: Path) -> Path:
    """generic-linux.cf plus header check rulesets (H lines with $>), error verdicts included."""
    return cf_with_tail(generic_cf, "headerchecks.cf-tail")


@pytest.fixture(scope="session")
def fileclass_cf(generic_cf: Path) -> Path:
    """generic-linux.cf plus F lines of every kind.  The files live in the harness's safe
    folder, because sendmail refuses map files below world-writable folders like /tmp."""
    folder = oracle.safe_work_root() / "fileclass"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "fcmap.txt").write_text("relay one.example two.example\nother x\n")
    (folder / "words").write_text("# comment\nalpha beta\ngamma # x\n")
    tail = (INPUTS / "fileclass.cf-tail").read_text().replace("@FOLDER@", str(folder))
    out = generic_cf.with_name("fileclass.cf")
    out.write_text(generic_cf.read_text(encoding="latin-1") + tail, encoding="latin-1")
    return out


def cf_with_tail(generic_cf: Path, tail: str) -> Path:
    """generic-linux.cf (with its class file made optional) plus lines from smoke/."""
    out = generic_cf.with_name(tail.replace(".cf-tail", ".cf"))
    text = generic_cf.read_text(encoding="latin-1").replace(
        "Fw/etc/mail/local-host-names", "Fw-o /etc/mail/local-host-names")
    out.write_text(text + (INPUTS / tail).read_text(encoding="latin-1"), encoding="latin-1")
    return out


@pytest.fixture(scope="session")
def badlines_cf(generic_cf: Path) -> Path:
    """Malformed lines of every type: messages, exit status and what still loads."""
    return cf_with_tail(generic_cf, "badlines.cf-tail")


@pytest.fixture(scope="session")
def fatal_cf(generic_cf: Path) -> Path:
    """An option sendmail stops on."""
    return cf_with_tail(generic_cf, "fatal.cf-tail")


@pytest.mark.parametrize("inputs,cf_fixture", [("generic-linux.txt", "generic_cf"),
                                               ("headerchecks.txt", "header_check_cf"),
                                               ("fileclass.txt", "fileclass_cf"),
                                               ("odd-input.txt", "fileclass_cf"),
                                               ("badlines.txt", "badlines_cf"),
                                               ("fatal.txt", "fatal_cf")])
def test_bt_session_matches_sendmail(sendmail_root: Path, inputs: str, cf_fixture: str,
                                     request: pytest.FixtureRequest) -> None:
    cf = request.getfixturevalue(cf_fixture)
    assert_same_bt(sendmail_root, cf, (INPUTS / inputs).read_text(encoding="latin-1"))


SENDMAIL_EXAMPLES = ["knecht", "cyrusproto", "chez.cs", "ucbvax", "uucpproto", "submit",
                     "tcpproto", "clientproto", "generic-bsd4.4", "python.cs"]


@pytest.mark.parametrize("mc", SENDMAIL_EXAMPLES)
def test_sendmail_example_configs(sendmail_root: Path, mc: str,
                                  tmp_path_factory: pytest.TempPathFactory) -> None:
    """sendmail's own example .mc files, built by its m4, on 600 random input lines."""
    cfdir = sendmail_root / "usr" / "share" / "sendmail" / "cf"
    cf = tmp_path_factory.mktemp("examples") / f"{mc}.cf"
    with cf.open("w") as f:
        subprocess.run(["m4", "m4/cf.m4", f"cf/{mc}.mc"], cwd=cfdir, stdout=f, check=True,
                       stderr=subprocess.DEVNULL)
    assert_same_bt(sendmail_root, cf, (INPUTS / "random-mix.txt").read_text(encoding="latin-1"))


def assert_same_bt(sendmail_root: Path, cf: Path, stdin: str) -> None:
    """Run one -bt session in each program on cf; stdout and exit code must be equal."""
    libs = f"{sendmail_root}/lib/x86_64-linux-gnu:{sendmail_root}/usr/lib/x86_64-linux-gnu"
    sendmail = str(sendmail_root / "usr" / "libexec" / "sendmail" / "sendmail")
    expected = isolated([sendmail, "-bt", "-C", str(cf)], stdin,
                        dict(os.environ, LD_LIBRARY_PATH=libs))
    actual = isolated([sys.executable, "-m", "monomail", "-bt", "-C", str(cf)], stdin,
                      dict(os.environ, PYTHONPATH=str(ROOT)))
    diff = "\n".join(difflib.unified_diff(expected.splitlines(), actual.splitlines(),
                                          "sendmail", "monomail", lineterm="", n=2))
    assert not diff, diff[:6000]
