"""The command line against real sendmail: flags that stop sendmail before it does any
work give the same words on the same streams and the same exit status in monomail.

argv[0] differs (sendmail's path, python's -m runner) and is replaced by PROG.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import oracle
import pytest

CASES = [
    ["-N", "bogus", "x"], ["-N", "success,nope", "x"], ["-R", "bad", "x"],
    ["-R", "hdrs", "-R", "full", "x"], ["-V", "a+zz", "x"], ["-f", "a", "-f", "b", "x"],
    ["-h", "3x", "x"], ["-bz"], ["-bx"], ["-b"], ["-q5x"], ["-q5x7y"], ["-Q.", "x"], ["-Q", "."],
    ["-z"], ["-vz"], ["-B", "foo", "x"], ["-p"], ["-C"], ["-q!G", "-bp"], ["-qGa", "-qGb", "-bp"],
    ["-q", "-bv", "x"], ["-Qx", "-bv", "x"], ["-U", "-bv", "x"], ["-I"], ["-x"],
    ["-bv", "-N", "never,success", "x"], ["-odq"], ["-odq", "<bad", "root"],
    ["-odq", "-t", "-f", "x", "-f", "y"], ["-X", "/nonexistent/x", "x"],
]


def run(program: oracle.Program, cf: Path, args: list[str]) -> tuple[int, str, str]:
    argv = oracle.sandbox_argv([*program.argv, "-C", str(cf), *args], [], oracle.HOSTNAME)
    proc = subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL, timeout=60,
                          env={**os.environ, **program.env}, cwd=cf.parent)
    out, err = (stream.decode("latin-1") for stream in (proc.stdout, proc.stderr))
    prog = program.argv[-1] if program.name == "sendmail" else None
    if prog is None:
        err = "".join(("PROG" + line[line.index(":"):] if ": illegal option" in line
                       or ": option requires" in line else line)
                      for line in err.splitlines(keepends=True))
    else:
        err = err.replace(prog, "PROG")
    return proc.returncode, out, err


@pytest.fixture(scope="module")
def cf(bt_work_root: Path) -> Path:
    folder = bt_work_root / "cli"
    (folder / "q").mkdir(parents=True, exist_ok=True)
    (folder / "aliases").write_text("")
    path = folder / "t.cf"
    path.write_text(f"V10/Berkeley\nDjmail.example.com\nO QueueDirectory={folder}/q\n"
                    f"O AliasFile={folder}/aliases\n"
                    "Mlocal, P=/bin/true, F=lsDFMA5:/|@, A=mail $u\nS0\nR$+\t$#local $: $1\n")
    return path


@pytest.mark.parametrize("args", CASES, ids=" ".join)
def test_flag_errors_match_sendmail(sendmail: oracle.Program, cf: Path, args: list[str]) -> None:
    expected = run(sendmail, cf, args)
    assert expected[0] != 0 or expected[1] or expected[2], "case must stop sendmail early"
    assert run(oracle.monomail_program(), cf, args) == expected
