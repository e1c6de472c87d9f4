"""Session fixtures for tests that run real sendmail (the oracle) beside monomail.

They fail, never skip, when the oracle or its sandbox cannot be had: CI runs as root and a
silently skipped compat suite would hide every regression.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import pytest

import oracle

T = TypeVar("T")


def _or_fail(action: Callable[[], T], what: str) -> T:
    """Run action(); turn an OracleError into a test failure that says what was being set up."""
    try:
        return action()
    except oracle.OracleError as error:
        message = f"{what}: {error}"
    pytest.fail(message, pytrace=False)


@pytest.fixture(scope="session")
def bt_sandbox() -> None:
    """unshare with a fixed host name, no network and bind mounts works here (root needed)."""
    _or_fail(oracle.check_sandbox, "sandbox for -bt runs")


@pytest.fixture(scope="session")
def sendmail(bt_sandbox: None) -> oracle.Program:
    """Debian's sendmail 8.17, fetched once per session by scripts/fetch-sendmail.sh."""
    return _or_fail(oracle.sendmail_program, "fetching the sendmail oracle")


@pytest.fixture(scope="session")
def bt_candidate(sendmail: oracle.Program) -> oracle.Program:
    """The program compared with sendmail: monomail, or sendmail itself when
    MONOMAIL_BT_CANDIDATE=sendmail (to check the harness while monomail's -bt is missing)."""
    name = os.environ.get("MONOMAIL_BT_CANDIDATE", "monomail")
    return _or_fail(lambda: oracle.program_by_name(name), "choosing the -bt candidate")


@pytest.fixture(scope="session")
def bt_programs(sendmail: oracle.Program, bt_candidate: oracle.Program) -> dict[str, oracle.Program]:
    """The two roles of a differential run."""
    return {"oracle": sendmail, "candidate": bt_candidate}


@pytest.fixture(scope="session")
def bt_work_root() -> Iterator[Path]:
    """A folder for generated .cf files and settings that sendmail accepts (not under /tmp,
    which is world-writable); removed at the end unless MONOMAIL_COMPAT_KEEP is set."""
    base = _or_fail(oracle.safe_work_root, "work folder for -bt runs")
    root = Path(tempfile.mkdtemp(prefix="pytest-", dir=base))
    yield root
    if not os.environ.get("MONOMAIL_COMPAT_KEEP"):
        shutil.rmtree(root, ignore_errors=True)
