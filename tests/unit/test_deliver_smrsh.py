"""smrsh's rules, checked against Debian's smrsh binary (its folder is /etc/mail/smrsh,
made in an overlay of /etc inside a private mount namespace)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from deliver_support import run_in_namespace, sendmail_helper
from monomail import sysexits as ex
from monomail.deliver.smrsh import SMRSH_PATH, Refusal, smrsh_command

COMMANDS = [
    "echoargs a b", "/usr/local/bin/echoargs a  b", "exec echoargs x", "exec   echoargs",
    "echoargs a && echoargs b", "false-ish || echoargs b", "echoargs a || echoargs b",
    "echo hi there", "exit 3", "cat /etc/passwd", "echoargs > /tmp/x", "echoargs a; echoargs b",
    "echoargs `id`", "echoargs $HOME", "echoargs a | echoargs b", "exec", "exec ", "", "   ",
    "folder", "noexec", "echoargs " + "y" * 1200, "echoargs\ta", "echoargs a\xbeb",
]


@pytest.fixture(scope="module")
def programs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The smrsh folder's content: a program printing its arguments, a folder, a file that
    may not run, and a symlink (smrsh's usual way of allowing a program)."""
    folder = tmp_path_factory.mktemp("smrsh")
    target = folder.parent / "echoargs-target"
    target.write_text('#!/bin/sh\necho "[$*]"\ncat\n')
    target.chmod(0o755)
    (folder / "echoargs").symlink_to(target)
    (folder / "folder").mkdir()
    (folder / "noexec").write_text("#!/bin/sh\necho no\n")
    return folder


def ours(command: str, folder: Path) -> tuple[int, str, str]:
    result = smrsh_command(["smrsh", "-c", command], str(folder))
    if isinstance(result, Refusal):
        return result.exit, result.message, ""
    proc = subprocess.run(["/bin/sh", "-c", result], input=b"stdin\n", capture_output=True,
                          env={"PATH": SMRSH_PATH})
    return proc.returncode, proc.stderr.decode("latin-1").strip(), proc.stdout.decode("latin-1")


def test_same_decisions_and_results_as_real_smrsh(programs: Path, tmp_path: Path) -> None:
    smrsh = sendmail_helper("smrsh")
    script = f"mkdir -p /etc/mail\nmount --bind {programs} /etc/mail/smrsh 2>/dev/null || " \
             f"{{ mkdir /etc/mail/smrsh; mount --bind {programs} /etc/mail/smrsh; }}"
    for i, command in enumerate(COMMANDS):
        work = tmp_path / str(i)
        work.mkdir()
        proc = run_in_namespace(script, [smrsh, "-c", command.encode("latin-1")], b"stdin\n",
                                work)
        theirs = (proc.returncode, proc.stderr.decode("latin-1").replace(smrsh, "smrsh").strip(),
                  proc.stdout.decode("latin-1"))
        assert ours(command, programs) == theirs, command


def test_command_text(programs: Path) -> None:
    assert smrsh_command(["smrsh", "-c", "/usr/bin/echoargs a && exec echoargs"],
                         str(programs)) == f"{programs}/echoargs a &&exec {programs}/echoargs"


def test_argv_must_be_name_dash_c_command(programs: Path) -> None:
    assert smrsh_command(["sh", "-x", "echoargs"], str(programs)) == Refusal(
        ex.EX_USAGE, "Usage: smrsh -c command")
