"""examples/uux-stub run as the uucp mailers of the m4 library run uux."""

from __future__ import annotations

import email
import json
import os
import subprocess
from pathlib import Path

import pytest

from deliver_support import mailers, settings
from monomail import sysexits as ex
from monomail.deliver.agents import deliver
from monomail.deliver.job import Job, Recipient, user_environment

STUB = Path(__file__).resolve().parents[2] / "examples" / "uux-stub"
MESSAGE = b"From joe  Sat Nov 21 10:00:00 2026 remote from mail\nSubject: hi\n\nbody\n"
UUCP = mailers(f"""\
Muucp-old, P={STUB}, F=DFMhuUd, S=0, R=0, M=100000, T=X-UUCP/X-UUCP/X-Unix,
	A=uux - -r -a$g -gC $h!rmail ($u)
Muucp-new, P={STUB}, F=mDFMhuUd, S=0, R=0, M=100000, T=X-UUCP/X-UUCP/X-Unix,
	A=uux - -r -a$g -gC $h!rmail ($u)
""")


def jobs(spool: Path) -> list[tuple[dict, bytes]]:
    found = []
    for name in sorted(os.listdir(spool)):
        assert not name.startswith(".")
        found.append((json.loads((spool / name / "job.json").read_text()),
                      (spool / name / "data").read_bytes()))
    return found


async def send(mailer: str, users: list[str], spool: Path, **env: str):
    job = Job(UUCP[mailer], "mail!joe", tuple(Recipient(u, "gateway") for u in users),
              MESSAGE)
    environment = user_environment({"UUX_STUB_SPOOL": str(spool), **env}, None)
    return await deliver(job, settings(environment=environment, privileged=False))


async def test_uucp_new_sends_one_job_for_all_users(tmp_path: Path) -> None:
    outcomes = await send("uucp-new", ["ann", "bob"], tmp_path)
    assert [o.ok for o in outcomes] == [True, True]
    ((job, data),) = jobs(tmp_path)
    assert (job["host"], job["command"], job["users"]) == (
        "gateway", ["rmail", "(ann)", "(bob)"], ["ann", "bob"])
    assert (job["requestor"], job["grade"], job["flags"]) == ("mail!joe", "C", ["-", "-r"])
    assert job["argv"][1:] == ["-", "-r", "-amail!joe", "-gC", "gateway!rmail", "(ann)", "(bob)"]
    assert data == MESSAGE
    assert email.message_from_bytes(data.split(b"\n", 1)[1])["subject"] == "hi"


async def test_uucp_old_sends_a_job_per_user(tmp_path: Path) -> None:
    await send("uucp-old", ["ann", "bob"], tmp_path)
    assert [job["users"] for job, _ in jobs(tmp_path)] == [["ann"], ["bob"]]


async def test_failing_uux_defers(tmp_path: Path) -> None:
    (outcome,) = await send("uucp-old", ["ann"], tmp_path, UUX_STUB_EXIT="75")
    assert outcome.retry and jobs(tmp_path) == []


async def test_unwritable_spool_is_a_temporary_failure(tmp_path: Path) -> None:
    (outcome,) = await send("uucp-old", ["ann"], tmp_path / "missing")
    assert outcome.exit == ex.EX_TEMPFAIL
    assert outcome.transcript.startswith(f"uux: cannot write the job into {tmp_path}/missing")


@pytest.mark.parametrize("argv, message", [
    (["-q", "h!rmail"], "uux: unknown option -q"),
    (["-a"], "uux: option -a needs a value"),
    (["-"], "uux: no command"),
])
def test_command_lines_it_does_not_understand(tmp_path: Path, argv: list[str],
                                               message: str) -> None:
    proc = subprocess.run([str(STUB), "-S", str(tmp_path), *argv], capture_output=True,
                          text=True, input="")
    assert (proc.returncode, proc.stderr) == (ex.EX_USAGE, message + "\n")
