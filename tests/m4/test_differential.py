"""monomail's m4 library against sendmail's: the same .mc, built by each, loaded in real sendmail.

For sendmail's own generic-linux.mc and the .mc files of data/ (which between them use every
FEATURE, MAILER and macro the library supports that can be checked offline), every -bt command of
mcinputs.commands() must give the same verdict: mailer triple, ruleset 3/0/4 result, check_*
answer (OK, RELAY, $#error with code and text, $#discard), class and macro contents.
"""

from __future__ import annotations

from pathlib import Path

import oracle
import pytest

import mcdiff
import mcinputs

OWN_MC = sorted(path.stem for path in mcdiff.DATA.glob("*.mc"))


def test_enough_distinct_inputs() -> None:
    lines = mcinputs.commands()
    assert len(set(line for line in lines if not line.startswith("."))) >= 400


@pytest.mark.parametrize("name", ["generic-linux", *OWN_MC])
def test_same_verdicts_as_sendmail_m4(name: str, mc_settings: Path, bt_work_root: Path) -> None:
    source = oracle.sendmail_cf_dir() / "cf" / "generic-linux.mc" if name == "generic-linux" else mcdiff.DATA / f"{name}.mc"
    work = bt_work_root / f"diff-{name}"
    work.mkdir()
    mc = mcdiff.prepare_mc(source, mc_settings, work)
    differences, _ = mcdiff.compare(mc, mcinputs.commands())
    assert not differences, f"{len(differences)} verdicts differ; first ones:\n\n" + "\n\n".join(differences[:5])


@pytest.mark.parametrize("name", ["generic-linux", *OWN_MC])
def test_monomail_runs_its_cf_as_sendmail_runs_its_own(name: str, bt_work_root: Path) -> None:
    """The product as it ships: our cf in monomail against sendmail's cf in sendmail, each
    with maps built by its own makemap (mounted at the same path, so messages agree)."""
    work = bt_work_root / f"cross-{name}"
    work.mkdir()
    mount = work / "settings"
    mount.mkdir()
    settings = {"mount": mount,
                "sendmail": mcdiff.make_settings(work / "sm-settings"),
                "monomail": mcdiff.make_settings(work / "mm-settings", oracle.monomail_program())}
    source = oracle.sendmail_cf_dir() / "cf" / "generic-linux.mc" if name == "generic-linux" else mcdiff.DATA / f"{name}.mc"
    mc = mcdiff.prepare_mc(source, mount, work)
    differences, _ = mcdiff.compare(mc, mcinputs.commands(), settings)
    assert not differences, f"{len(differences)} verdicts differ; first ones:\n\n" + "\n\n".join(differences[:5])
