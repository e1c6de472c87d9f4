"""The delivery agents that do not speak SMTP, chosen by the mailer's P= as sendmail does.

`[monomail]` is monomail's in-process local delivery, `[FILE]` sendmail's file mailer;
any other P= that is not `[IPC]`/`[TCP]`/`[LPC]` names a program.  Each agent returns one
Outcome per recipient of the job, in order.
"""

from __future__ import annotations

from monomail.config.model import Mailer

from .argv import USER_MACRO
from .fileagent import deliver_file
from .job import AgentSettings, Job
from .local import deliver_local
from .outcome import Outcome
from .program import deliver_program

LOCAL = "[monomail]"
FILE = "[FILE]"
SMTP_PATHS = ("[IPC]", "[TCP]", "[LPC]")


def handles(mailer: Mailer) -> bool:
    """Whether this mailer is delivered here.  The SMTP client takes [IPC] mailers and
    programs without $u in A= (SMTP or LMTP over a pipe, as FEATURE(local_lmtp) gives)."""
    if mailer.path in (LOCAL, FILE):
        return True
    return mailer.path not in SMTP_PATHS and any(USER_MACRO in w for w in mailer.argv[1:])


async def deliver(job: Job, settings: AgentSettings) -> list[Outcome]:
    """Deliver `job` with the agent its mailer's P= names."""
    if not job.recipients:
        return []
    path = job.mailer.path
    if path == LOCAL:
        return await deliver_local(job, settings)
    if path == FILE:
        return await deliver_file(job, settings)
    if not handles(job.mailer):
        raise ValueError(f"mailer {job.mailer.name} (P={path}) speaks SMTP: the SMTP "
                         "client delivers it")
    return await deliver_program(job, settings)
