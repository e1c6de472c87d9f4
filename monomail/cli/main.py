"""The `monomail` command: sendmail's command line, argv to a mode.

Flags are read as sendmail's getopt reads them (`-bt`, `-C file`, `-O Name=value`,
`-oXvalue`, clustered `-vt`).  Only the modes that exist run; every other sendmail
mode or flag is refused with sendmail's usage exit code rather than ignored.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

from monomail import sysexits as ex

DEFAULT_CF = "/etc/mail/monomail.cf"
# sendmail's flags that take an argument (getopt's "x:")
WITH_ARGUMENT = set("BbCDdeFfhLMNOopQqRrVX")
MODES = {"t": "address test mode", "i": "rebuild the alias databases",
         "p": "print the mail queue", "P": "print the number of queued messages"}
# sendmail's names that imply a mode (argv[0])
NAME_MODES = {"newaliases": "i", "mailq": "p"}


class UsageError(Exception):
    """A command line sendmail would refuse, or one monomail cannot honour yet."""


@dataclass
class Invocation:
    """What the command line asks for."""

    mode: str = "m"
    cf: str = DEFAULT_CF
    verbose: bool = False
    options: list[str] = field(default_factory=list)  # " Name=value" or "Xvalue"
    queue_limits: list[str] = field(default_factory=list)  # -qI/-qR/-qS of a listing
    warnings: list[str] = field(default_factory=list)


def parse_argv(args: list[str], default_cf: str = DEFAULT_CF, mode: str = "m") -> Invocation:
    inv = Invocation(mode=mode, cf=default_cf)
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            break
        if not arg.startswith("-") or arg == "-":
            i -= 1
            break
        pos = 1
        while pos < len(arg):
            flag = arg[pos]
            pos += 1
            value = None
            if flag in WITH_ARGUMENT:
                if pos < len(arg):
                    value, pos = arg[pos:], len(arg)
                elif i < len(args):
                    value, i = args[i], i + 1
                else:
                    raise UsageError(f"option requires an argument -- '{flag}'")
            apply_flag(inv, flag, value)
    return inv


def apply_flag(inv: Invocation, flag: str, value: str | None) -> None:
    if flag == "C":
        inv.cf = value or ""
    elif flag == "b":
        inv.mode = (value or "")[:1]
        if inv.mode not in MODES:
            raise UsageError(f"mode -b{value} is not implemented yet")
    elif flag == "v":
        inv.verbose = True
    elif flag == "d":
        inv.warnings.append(f"monomail: -d{value}: sendmail's debug output is not "
                            "reproduced; ignored")
    elif flag == "O":
        inv.options.append(" " + (value or ""))
    elif flag == "o":
        inv.options.append(value or "")
    elif flag == "q" and inv.mode in ("p", "P"):
        inv.queue_limits.append(value or "")
    else:
        raise UsageError(f"option -{flag} is not implemented yet")


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    name = os.path.basename(prog if prog is not None else sys.argv[0])
    try:
        inv = parse_argv(args, os.environ.get("MONOMAIL_CF", DEFAULT_CF), NAME_MODES.get(name, "m"))
    except UsageError as exc:
        sys.stderr.write(f"monomail: {exc}\n")
        return ex.EX_USAGE
    for warning in inv.warnings:
        sys.stderr.write(warning + "\n")
    if inv.mode == "i":
        return run_newaliases(inv)
    if inv.mode in ("p", "P"):
        from monomail.cli.mailq import run_mailq
        return run_mailq(inv)
    if inv.mode != "t":
        sys.stderr.write("monomail: only -bt and -bi are available so far\n")
        return ex.EX_USAGE
    return run_test(inv)


def run_newaliases(inv: Invocation) -> int:
    """-bi / newaliases: rebuild every AliasFile of the cf, as sendmail does (root or a
    trusted user only)."""
    from monomail.aliases import newaliases
    from monomail.config.cfparser import parse_cf
    try:
        config = parse_cf(inv.cf, command_line=tuple(inv.options), op_mode="i")
    except OSError as exc:
        sys.stdout.write(f"{inv.cf}: line 0: cannot open: {exc.strerror}\n")
        return ex.EX_OSFILE
    for text in config.output:
        sys.stdout.write(text + "\n")
    if config.fatal or config.exit_status:
        return config.fatal or config.exit_status
    if os.getuid() != 0 and not _trusted(config):
        sys.stdout.write("Permission denied (real uid not trusted)\n")
        return ex.EX_USAGE
    specs = [str(spec) for spec in config.options.get("AliasFile") or ()]
    return newaliases.main((["-v"] if inv.verbose else []) + specs) if specs else ex.EX_OK


def _trusted(config) -> bool:  # type: ignore[no-untyped-def]
    import pwd
    members = config.classes.get(ord("t"), frozenset())
    return pwd.getpwuid(os.getuid()).pw_name.lower() in members


def run_test(inv: Invocation) -> int:
    from monomail.config.cfparser import parse_cf
    from monomail.rewrite.testmode import run_test_mode
    if os.path.exists(inv.cf) and not os.path.isfile(inv.cf):
        sys.stdout.write(f"{inv.cf}: line 0: not a plain file\n")
        return ex.EX_OSFILE
    try:
        config = parse_cf(inv.cf, command_line=tuple(inv.options))
    except OSError as exc:
        sys.stdout.write(f"{inv.cf}: line 0: cannot open: {exc.strerror}\n")
        return ex.EX_OSFILE
    # monomail's own notes (unimplemented options) stay out of -bt, whose output
    # must be sendmail's; the daemon modes log them
    sys.stdout.reconfigure(encoding="latin-1", errors="replace")  # type: ignore[attr-defined]
    sys.stdin.reconfigure(encoding="latin-1", errors="replace")  # type: ignore[attr-defined]
    return run_test_mode(config, sys.stdin, inv.verbose)


if __name__ == "__main__":
    sys.exit(main())
