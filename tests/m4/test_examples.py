"""examples/*.cf are committed so that running monomail needs no m4: they must be what their .mc
builds today, and real sendmail must load them without a complaint."""

from __future__ import annotations

from pathlib import Path

import oracle
import pytest

import mcdiff
from monomail.config.mc import build

EXAMPLES = sorted((mcdiff.ROOT / "examples").glob("*.mc"))


def test_both_examples_exist() -> None:
    assert {path.stem for path in EXAMPLES} >= {"monomail", "quickstart"}


@pytest.mark.parametrize("mc", EXAMPLES, ids=lambda path: path.stem)
def test_committed_cf_is_what_the_mc_builds(mc: Path) -> None:
    cf, warnings = build(mc)
    assert not warnings
    assert mc.with_suffix(".cf").read_text() == cf, f"regenerate: monomail-cf {mc.name} -o {mc.stem}.cf"


@pytest.mark.parametrize("mc", EXAMPLES, ids=lambda path: path.stem)
def test_sendmail_loads_the_example_silently(mc: Path, sendmail: oracle.Program) -> None:
    run = oracle.run_bt(sendmail.argv, mc.with_suffix(".cf"), "$=w\n", env=sendmail.env)
    banner = run.stdout.split("ADDRESS TEST MODE", 1)[0]
    assert run.rc == 0 and banner == "" and run.stderr == ""
