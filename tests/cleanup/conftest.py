"""Fixtures of the cleanup differential tests: a settings folder, the .cf files built by
sendmail's own m4, and the sendmail oracle in its sandbox (fails, never skips)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import cleanupharness as harness
import oracle

CAPTURE_MC = """divert(0)dnl
VERSIONID(`monomail cleanup tests: capture mailers')
OSTYPE(`linux')dnl
define(`confDOMAIN_NAME', `mail.example.com')dnl
define(`confCW_FILE', `-o @ETC@/local-host-names')dnl
define(`LOCAL_MAILER_PATH', `@DIR@/capture-local')dnl
define(`LOCAL_MAILER_FLAGS', `SPfh9')dnl
define(`LOCAL_MAILER_ARGS', `capture $u')dnl
undefine(`ALIAS_FILE')dnl
MAILER(local)dnl
MAILER(smtp)dnl
MAILER_DEFINITIONS
Mcapsmtp,	P=@DIR@/capture-capsmtp, F=mDFMuXa, S=EnvFromSMTP/HdrFromSMTP, R=EnvToSMTP,
		E=\\r\\n, L=990, T=DNS/RFC822/SMTP, A=capture $u
LOCAL_RULE_0
R$* < @ cap2.test. > $*	$#capsmtp $@ cap2.test $: $1 < @ cap2.test. >
"""
CHECKS_TAIL = """
HSubject: $>CheckSubject
HX-Spam: $>+CheckSpam
SCheckSubject
R$* bad $*	$#error $@ 5.7.1 $: "550 bad subject"
R$* tempfail $*	$#error $@ 4.7.1 $: "451 try again"
SCheckSpam
R$* discard $*	$#discard $: discard
"""


@pytest.fixture(scope="session")
def work(sendmail: oracle.Program, bt_work_root: Path) -> Path:
    """A sandbox-safe folder with the settings (hosts, switch files) both programs read."""
    root = bt_work_root / "cleanup"
    etc = root / "etc"
    etc.mkdir(parents=True)
    for folder in (bt_work_root, root, etc):  # mailers run as DefaultUser must get in
        folder.chmod(0o755)
    for name in ("hosts", "nsswitch.conf", "resolv.conf", "service.switch"):
        shutil.copy(harness.ETC / name, etc / name)
    with open(etc / "hosts", "a") as hosts:
        hosts.write(f"127.0.0.2\t{harness.CAPTURE_HOST}\n")
    (etc / "local-host-names").write_text("")
    return root


def build(work: Path, name: str, mc_text: str) -> Path:
    mc = work / f"{name}.mc"
    mc.write_text(mc_text.replace("@ETC@", str(work / "etc")).replace("@DIR@", str(work)))
    return oracle.build_sendmail_cf(mc, work / f"{name}.cf", work / "etc")


@pytest.fixture(scope="session")
def generic_cf(work: Path) -> Path:
    """sendmail's own generic-linux.mc, reading the test's settings."""
    text = (oracle.sendmail_cf_dir() / "cf" / "generic-linux.mc").read_text()
    return build(work, "generic", text)


@pytest.fixture(scope="session")
def untrusted_cf(generic_cf: Path) -> Path:
    """generic with root taken out of class t: -f from root draws a warning."""
    out = generic_cf.with_name("untrusted.cf")
    out.write_text(generic_cf.read_text(encoding="latin-1").replace("\nTroot\n", "\n"),
                   encoding="latin-1")
    return out


@pytest.fixture(scope="session")
def checks_cf(generic_cf: Path) -> Path:
    """generic with header check rulesets: an error, a temporary error, a discard."""
    out = generic_cf.with_name("checks.cf")
    out.write_text(generic_cf.read_text(encoding="latin-1") + CHECKS_TAIL, encoding="latin-1")
    return out


@pytest.fixture(scope="session")
def example_cf() -> Path:
    """monomail's own example cf (built by its m4 library), which sendmail reads too."""
    return harness.HERE.parents[1] / "examples" / "monomail.cf"


@pytest.fixture(scope="session")
def capture_cf(work: Path) -> Path:
    """A cf whose local mailer and a `capsmtp` mailer (SMTP-like rules, CR LF, L=990,
    for addresses @cap2.test) are programs that save what they are given."""
    out_dir = work / "out"
    out_dir.mkdir(mode=0o1777)
    out_dir.chmod(0o1777)
    for mailer in ("local", "capsmtp"):
        script = work / f"capture-{mailer}"
        script.write_text(f"#!/bin/sh\ncat > {out_dir}/{mailer}\n")
        script.chmod(0o755)
    return build(work, "capture", CAPTURE_MC)


@pytest.fixture(scope="session")
def sm(work: Path) -> harness.Oracle:
    return harness.Oracle(work)


@pytest.fixture()
def capture_out(work: Path, capture_cf: Path) -> Path:
    """The capture mailers' folder, emptied for each test."""
    out = work / "out"
    for old in out.iterdir():
        old.unlink()
    return out
