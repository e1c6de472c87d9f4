"""The `monomail` command: argv (read by argv.py as sendmail reads it) to a mode.

Each mode registers its runner with @mode; a sendmail mode monomail does not run yet
is refused with sendmail's usage exit code rather than ignored.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Callable

from monomail import sysexits as ex
from .argv import Invocation, parse_argv

if TYPE_CHECKING:
    from monomail.config.model import Config

DEFAULT_CF = "/etc/mail/monomail.cf"
SUBMIT_CF = "/etc/mail/submit.cf"
Runner = Callable[[Invocation, "Config"], int]
RUNNERS: dict[str, Runner] = {}


def mode(letter: str) -> Callable[[Runner], Runner]:
    """Register the function that runs -b<letter> on the loaded cf."""
    def register(run: Runner) -> Runner:
        RUNNERS[letter] = run
        return run
    return register


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    inv = parse_argv(args, prog if prog is not None else sys.argv[0])
    for line in inv.messages:
        sys.stdout.write(line + "\n")
    for line in inv.errors:
        sys.stderr.write(line + "\n")
    sys.stdout.flush()
    if inv.exit_status != ex.EX_OK and inv.mode != "t" or inv.errors:
        return inv.exit_status
    if inv.cf is None:
        inv.cf = os.environ.get("MONOMAIL_CF") or (SUBMIT_CF if inv.submit_cf else DEFAULT_CF)
    for flags in inv.debug:
        sys.stderr.write(f"monomail: -d{flags}: sendmail's debug output is not reproduced; "
                         "ignored\n")
    config = load_config(inv)
    if isinstance(config, int):
        return config
    run = RUNNERS.get(inv.mode)
    if run is None:
        sys.stderr.write(f"monomail: -b{inv.mode} is not implemented yet\n")
        return ex.EX_USAGE
    status = run(inv, config)
    return inv.exit_status or status


def load_config(inv: Invocation) -> "Config | int":
    """The cf, read as sendmail reads it for this mode, or the exit status when it cannot
    be opened (sendmail's "line 0" message on stdout)."""
    from monomail.config.cfparser import parse_cf
    cf = inv.cf or DEFAULT_CF
    if os.path.exists(cf) and not os.path.isfile(cf):
        sys.stdout.write(f"{cf}: line 0: not a plain file\n")
        return ex.EX_OSFILE
    try:
        return parse_cf(cf, command_line=tuple(inv.options), op_mode=inv.mode)
    except OSError as exc:
        sys.stdout.write(f"{cf}: line 0: cannot open: {exc.strerror}\n")
        return ex.EX_OSFILE


@mode("i")
def run_newaliases(inv: Invocation, config: "Config") -> int:
    """-bi / newaliases: rebuild every AliasFile of the cf, as sendmail does (root or a
    trusted user only)."""
    from monomail.aliases import newaliases
    for text in config.output:
        sys.stdout.write(text + "\n")
    if config.fatal or config.exit_status:
        return config.fatal or config.exit_status
    if os.getuid() != 0 and not _trusted(config):
        sys.stdout.write("Permission denied (real uid not trusted)\n")
        return ex.EX_USAGE
    specs = [str(spec) for spec in config.options.get("AliasFile") or ()]
    return newaliases.main((["-v"] if inv.verbose else []) + specs) if specs else ex.EX_OK


def _trusted(config: "Config") -> bool:
    import pwd
    members = config.classes.get(ord("t"), frozenset())
    return pwd.getpwuid(os.getuid()).pw_name.lower() in members


@mode("v")
def run_verify(inv: Invocation, config: "Config") -> int:
    from .verify import run_verify as verify_mode
    return verify_mode(inv, config)


@mode("s")
def run_smtp(inv: Invocation, config: "Config") -> int:
    from monomail.cli.smtp_stdio import run_smtp_stdio
    return run_smtp_stdio(config)


@mode("m")
def run_deliver(inv: Invocation, config: "Config") -> int:
    """-bm, the default: a message from stdin for the named recipients."""
    from monomail.cli.submit import run_submit
    return run_submit(inv, config)


@mode("p")
@mode("P")
def run_print_queue(inv: Invocation, config: "Config") -> int:
    """-bp, -bP and the name mailq."""
    from monomail.cli.mailq import run_mailq
    return run_mailq(inv, config)


@mode("d")
@mode("D")
def run_daemon(inv: Invocation, config: "Config") -> int:
    """-bd / -bD: the SMTP daemon with its queue runner."""
    from monomail.daemon.main import run
    from monomail.daemon.service import new_deliverer
    return run(inv, config, new_deliverer)


@mode("q")
def run_queue(inv: Invocation, config: "Config") -> int:
    """-q, -qI/-qR/-qS: one queue run in the foreground; -q<time> alone: a daemon
    that only runs the queue."""
    if inv.queue is not None and inv.queue.interval:
        return run_daemon(inv, config)
    from monomail.cli.queue_run import run_queue as queue_mode
    return queue_mode(inv, config)


@mode("t")
def run_test(inv: Invocation, config: "Config") -> int:
    from monomail.rewrite.testmode import run_test_mode
    # monomail's own notes (unimplemented options) stay out of -bt, whose output
    # must be sendmail's; the daemon modes log them
    sys.stdout.reconfigure(encoding="latin-1", errors="replace")  # type: ignore[attr-defined]
    sys.stdin.reconfigure(encoding="latin-1", errors="replace")  # type: ignore[attr-defined]
    return run_test_mode(config, sys.stdin, inv.verbose)


if __name__ == "__main__":
    sys.exit(main())
