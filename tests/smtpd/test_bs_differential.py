"""`monomail -bs` against `sendmail -bs`: every reply of every script the same, after the
documented masks (bsdiff.MASKS), on cfs built by sendmail's own m4."""

from __future__ import annotations

import difflib
from pathlib import Path

from typing import Callable

import pytest

import bsdiff
import oracle


Workspaces = Callable[[str], bsdiff.btcompare.Workspace]


@pytest.fixture(scope="module")
def workspaces(bt_programs: dict[str, oracle.Program], bt_work_root: Path) -> Workspaces:
    """Each cf's workspace, built when a test first needs it."""
    built: dict[str, bsdiff.btcompare.Workspace] = {}

    def get(name: str) -> bsdiff.btcompare.Workspace:
        if name not in built:
            spec = next(s for s in bsdiff.cf_specs() if s.name == name)
            built[name] = bsdiff.make_workspace(spec, bt_work_root / "bs", bt_programs)
        return built[name]
    return get


CASES = [(cf, script) for cf in bsdiff.cf_names() for script in bsdiff.scripts_for(cf)]


@pytest.mark.parametrize("cf_name,script", CASES,
                         ids=[f"{cf}:{script.stem}" for cf, script in CASES])
def test_bs_replies_match_sendmail(cf_name: str, script: Path, workspaces: Workspaces,
                                   bt_programs: dict[str, oracle.Program],
                                   bt_work_root: Path) -> None:
    ws = workspaces(cf_name)
    steps = bsdiff.read_script(script)
    scratch = bt_work_root / "bs" / f"{cf_name}-{script.stem}"
    runs = bsdiff.run_both(ws, bt_programs, steps, scratch)
    expected, got = runs["oracle"].masked(), runs["candidate"].masked()
    diff = "\n".join(difflib.unified_diff(expected, got, "sendmail", "monomail", lineterm=""))
    assert expected == got, f"{cf_name} {script.name}:\n{diff}"
    accepted = sum(line.endswith("Message accepted for delivery") for line in got)
    queued = bsdiff.queued_messages(scratch, "candidate")
    assert len(queued) <= accepted
