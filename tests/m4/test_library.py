"""The m4 library itself: its parts, its errors, where it runs from, the mailer definitions it writes."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import oracle
import pytest

import mcdiff
from monomail.config.mc import find_m4

LIBRARY = mcdiff.ROOT / "m4"
MINIMAL_MC = "divert(0)dnl\nOSTYPE(`linux')dnl\nMAILER(`local')dnl\nMAILER(`smtp')dnl\n"


def m4(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([find_m4(), *args], cwd=cwd, capture_output=True, text=True)


def listed(kind: str) -> set[str]:
    vocab = (LIBRARY / "vocab.m4").read_text()
    return set(re.search(rf"define\(`_MM_{kind}', `([^']*)'\)", vocab).group(1).split())


@pytest.mark.parametrize("kind, folder", [("FEATURES", "feature"), ("MAILERS", "mailer"),
                                          ("OSTYPES", "ostype"), ("DOMAINS", "domain")])
def test_every_listed_part_has_its_file_and_no_more(kind: str, folder: str) -> None:
    files = {path.name[: -len(".m4")] for path in (LIBRARY / folder).glob("*.m4")}
    assert listed(kind) == files


def test_readme_lists_every_feature_and_mailer() -> None:
    readme = (LIBRARY / "README.md").read_text()
    missing = [name for name in listed("FEATURES") | listed("MAILERS") if f"`{name}`" not in readme]
    assert not missing


@pytest.mark.parametrize("call, named", [
    ("FEATURE(`no_such_feature')", "no_such_feature"),
    ("FEATURE(`ldap_routing')", "ldap_routing"),
    ("MAILER(`cyrus')", "cyrus"),
    ("OSTYPE(`vms')", "vms"),
    ("DOMAIN(`nowhere')", "nowhere"),
    ("HACK(`cssubdomain')", "cssubdomain"),
    ("INPUT_MAIL_FILTER(`clamav', `S=local:/run/clamav.sock')", "INPUT_MAIL_FILTER"),
    ("FEATURE(`nouucp')", "nouucp"),
    ("FEATURE(`delay_checks', `bogus')", "delay_checks"),
    ("FEATURE(`blocklist_recipients')", "access_db"),
    ("FEATURE(`dnsbl')", "dnsbl"),
    ("FEATURE(`rhsbl')", "rhsbl"),
    ("FEATURE(`nopercenthack', `bogus')", "nopercenthack"),
    ("FEATURE(`compat_check')", "access_db"),
    ("FEATURE(`queuegroup')", "access_db"),
])
def test_what_monomail_lacks_stops_m4_naming_it_and_the_line(tmp_path: Path, call: str, named: str) -> None:
    mc = tmp_path / "site.mc"
    mc.write_text("divert(0)dnl\ndnl  no OSTYPE: monomail does not need one\n\n" + call + "dnl\nMAILER(`smtp')dnl\n")
    run = m4([str(LIBRARY / "cf.m4"), "site.mc"], tmp_path)
    assert run.returncode != 0
    assert "site.mc:4" in run.stderr and named in run.stderr
    assert "Scanonify" not in run.stdout  # no configuration came out


def test_unbalanced_quote_is_an_error_naming_the_line(tmp_path: Path) -> None:
    (tmp_path / "site.mc").write_text("divert(0)dnl\nOSTYPE(`linux')dnl\ndefine(`SMART_HOST', `relay.example)dnl\n")
    run = m4([str(LIBRARY / "cf.m4"), "site.mc"], tmp_path)
    assert run.returncode != 0 and "site.mc:3" in run.stderr


def test_cf_m4_finds_its_parts_from_any_directory(tmp_path: Path) -> None:
    mc = tmp_path / "site.mc"
    mc.write_text(MINIMAL_MC)
    absolute = m4([str(LIBRARY / "cf.m4"), "site.mc"], tmp_path)
    relative = m4(["cf.m4", str(mc)], LIBRARY)
    from_root = m4(["m4/cf.m4", str(mc)], LIBRARY.parent)
    including = tmp_path / "including.mc"
    including.write_text(f"include(`{LIBRARY / 'cf.m4'}')dnl\n" + MINIMAL_MC)
    self_included = m4(["including.mc"], tmp_path)
    twice = m4([str(LIBRARY / "cf.m4"), "including.mc"], tmp_path)
    outputs = {run.stdout for run in (absolute, relative, from_root, self_included, twice)}
    assert all(run.returncode == 0 and not run.stderr for run in (absolute, relative, from_root, self_included, twice))
    assert len(outputs) == 1 and "Scanonify=3" in outputs.pop()


def test_defaults_can_be_given_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "site.mc").write_text(MINIMAL_MC)
    run = m4(["-DMAIL_SETTINGS_DIR=/srv/mail/", "-DconfLOG_LEVEL=12", str(LIBRARY / "cf.m4"), "site.mc"], tmp_path)
    assert "O AliasFile=/srv/mail/aliases" in run.stdout and "O LogLevel=12" in run.stdout


def mailer_lines(cf: str) -> dict[str, dict[str, str]]:
    """Mname, field=value, ... with continuation lines joined; F= as a sorted set of letters."""
    joined = re.sub(r"\n[ \t]+", " ", cf)
    mailers = {}
    for line in joined.splitlines():
        if line.startswith("M"):
            name, _, rest = line[1:].partition(",")
            fields = dict(field.strip().split("=", 1) for field in re.split(r",\s+(?=[A-Za-z]=)", rest.strip()) if field)
            if "F" in fields:
                fields["F"] = "".join(sorted(fields["F"]))
            mailers[name] = fields
    return mailers


MAILERS_MC = """divert(0)dnl
OSTYPE(`linux')dnl
define(`SMTP_MAILER_FLAGS', `e')dnl
define(`SMTP_MAILER_MAX', `1000000')dnl
define(`RELAY_MAILER_ARGS', `TCP $h 2525')dnl
define(`UUCP_MAILER_MAX', `200000')dnl
define(`PROCMAIL_MAILER_PATH', `/usr/bin/procmail')dnl
MODIFY_MAILER_FLAGS(`ESMTP', `+O')dnl
MODIFY_MAILER_FLAGS(`RELAY', `-a')dnl
MODIFY_MAILER_FLAGS(`SHELL', `+w')dnl
FEATURE(`allmasquerade')dnl
FEATURE(`local_procmail')dnl
FEATURE(`smrsh')dnl
MAILER(`local')dnl
MAILER(`smtp')dnl
MAILER(`uucp')dnl
MAILER(`procmail')dnl
"""


@pytest.mark.parametrize("flavour", ["procmail", "lmtp"])
def test_mailer_definitions_match_sendmail_m4(tmp_path: Path, sendmail, flavour: str) -> None:
    """Every M line sendmail's m4 writes, ours writes with the same fields (external local mailers
    included); only the default in-process local mailer differs, by design."""
    mc = tmp_path / "mailers.mc"
    mc.write_text(MAILERS_MC.replace("FEATURE(`local_procmail')", "FEATURE(`local_lmtp')") if flavour == "lmtp" else MAILERS_MC)
    theirs = mcdiff.build_cf(oracle.sendmail_cf_dir() / "m4" / "cf.m4", mc, tmp_path / "theirs.cf").read_text()
    ours = mcdiff.build_cf(mcdiff.MONOMAIL_CF_M4, mc, tmp_path / "ours.cf").read_text()
    assert mailer_lines(ours) == mailer_lines(theirs)


def test_default_local_mailer_is_monomail_itself(tmp_path: Path, sendmail) -> None:
    mc = tmp_path / "site.mc"
    mc.write_text(MINIMAL_MC + "")
    ours = mailer_lines(mcdiff.build_cf(mcdiff.MONOMAIL_CF_M4, mc, tmp_path / "ours.cf").read_text())
    assert ours["local"]["P"] == "[monomail]" and ours["local"]["A"] == "mbox $u"
    mc.write_text(MINIMAL_MC.replace("MAILER(`local')", "FEATURE(`local_maildir', `/srv/mail')dnl\nMAILER(`local')"))
    maildir = mailer_lines(mcdiff.build_cf(mcdiff.MONOMAIL_CF_M4, mc, tmp_path / "maildir.cf").read_text())
    assert maildir["local"]["A"] == "maildir -d /srv/mail $u"


def test_an_mc_written_for_sendmail_that_includes_its_cf_m4_still_builds(tmp_path: Path) -> None:
    """Debian's sendmail.mc starts with include(`/usr/share/sendmail/cf/m4/cf.m4'): skipped."""
    (tmp_path / "site.mc").write_text("divert(-1)\ninclude(`/nonexistent/sendmail/cf/m4/cf.m4')dnl\n" + MINIMAL_MC)
    run = m4([str(LIBRARY / "cf.m4"), "site.mc"], tmp_path)
    assert run.returncode == 0 and not run.stderr and ":include:" in run.stdout


def test_domain_may_name_a_file_of_the_site(tmp_path: Path) -> None:
    (tmp_path / "ours.m4").write_text("define(`SMART_HOST', `relay:[smart.example.net]')\nFEATURE(`nocanonify')\n")
    (tmp_path / "site.mc").write_text(MINIMAL_MC.replace("MAILER(`local')", f"DOMAIN(`{tmp_path}/ours.m4')dnl\nMAILER(`local')"))
    run = m4([str(LIBRARY / "cf.m4"), "site.mc"], tmp_path)
    assert run.returncode == 0 and "DSrelay:[smart.example.net]" in run.stdout and "{Canonify}" in run.stdout
