"""`monomail -bv`: the command as scripts run it (a child process), on quickstart.cf.

Exact output is checked against sendmail in tests/compat/test_bv_differential.py; here
the command line, the exit codes and the lines every machine prints the same.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Iterator

import oracle
import pytest


ROOT = Path(__file__).resolve().parents[2]
NOTICE = "Notice: -bv may give misleading output for non-privileged user\n"


@pytest.fixture
def cf() -> Iterator[Path]:
    folder = oracle.safe_work_root() / "verify" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    folder.chmod(0o755)
    (folder / "aliases").write_text("postmaster: root\nteam: root, nosuchuser-x1\n")
    text = (ROOT / "examples/quickstart.cf").read_text()
    path = folder / "test.cf"
    path.write_text(text.replace("O AliasFile=./aliases", f"O AliasFile={folder}/aliases"))
    try:
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def bv(cf: Path, *args: str) -> tuple[str, int]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "monomail", *args[:-1], "-bv", "-C", str(cf),
                           *args[-1:]] if args else
                          [sys.executable, "-m", "monomail", "-bv", "-C", str(cf)],
                          capture_output=True, text=True, env=env, check=False)
    assert proc.stderr == ""
    out = proc.stdout
    return (out[len(NOTICE):] if os.geteuid() != 0 and out.startswith(NOTICE) else out,
            proc.returncode)


def test_no_recipients(cf: Path) -> None:
    assert bv(cf) == ("Recipient names must be specified\n", 64)


def test_deliverable_and_unknown(cf: Path) -> None:
    assert bv(cf, "root") == ("root... deliverable: mailer local, user root\n", 0)
    assert bv(cf, "nosuchuser-x1") == ("nosuchuser-x1... User unknown\n", 67)


def test_no_aliasing(cf: Path) -> None:
    assert bv(cf, "-n", "team") == ("team... User unknown\n", 67)


EXPANSION = ("team... aliased to root, nosuchuser-x1\n"
             "nosuchuser-x1... User unknown\n"
             "root... deliverable: mailer local, user root\n")


def test_verbose_shows_the_expansion(cf: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "monomail", "-bi", "-C", str(cf)], env=env,
                   check=True, capture_output=True)
    assert bv(cf, "-v", "team") == (EXPANSION, 67)


def test_without_a_database_the_text_file_is_read(cf: Path) -> None:
    aliases = cf.parent / "aliases"
    assert bv(cf, "-v", "team") == (
        f"team... WARNING: cannot open alias database {aliases}; reading text version\n"
        f"{aliases}: 2 aliases, longest 19 bytes, 37 bytes total\n" + EXPANSION, 67)
