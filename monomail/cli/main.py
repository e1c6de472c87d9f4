"""The `monomail` command: sendmail's command line, argv to a mode.

Only the modes that exist are accepted; every other sendmail flag is refused
with sendmail's usage exit code rather than silently ignored.
"""

from __future__ import annotations

import os
import sys

from monomail import sysexits as ex

DEFAULT_CF = "/etc/mail/monomail.cf"
IMPLEMENTED_MODES = {"t": "test"}


def usage(message: str) -> int:
    sys.stderr.write(f"monomail: {message}\n")
    return ex.EX_USAGE


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    cf = os.environ.get("MONOMAIL_CF", DEFAULT_CF)
    mode = "m"
    verbose = False
    defines: list[tuple[str, str]] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            break
        if not arg.startswith("-") or arg == "-":
            break
        flag = arg[1:2]
        value = arg[2:]
        if flag in "CbOo" and not value and flag != "o":
            if i >= len(args):
                return usage(f"option requires an argument -- '{flag}'")
            value = args[i]
            i += 1
        if flag == "C":
            cf = value
        elif flag == "b":
            mode = value[:1]
        elif flag == "v":
            verbose = True
        elif flag == "d":
            continue
        elif flag in "Oo":
            defines.append((flag, value))
        else:
            return usage(f"option -{flag} is not implemented yet")
    if mode != "t":
        return usage(f"mode -b{mode} is not implemented yet")
    return run_test(cf, verbose)


def run_test(cf: str, verbose: bool) -> int:
    from monomail.config.cfparser import parse_cf
    from monomail.rewrite.testmode import run_test_mode
    try:
        config = parse_cf(cf)
    except OSError as exc:
        sys.stdout.write(f"{cf}: line 0: cannot open: {exc.strerror}\n")
        return ex.EX_OSFILE
    # monomail's own notes (unimplemented options) stay out of -bt, whose output
    # must be sendmail's; the daemon modes log them
    sys.stdout.reconfigure(encoding="latin-1", errors="replace")  # type: ignore[attr-defined]
    sys.stdin.reconfigure(encoding="latin-1", errors="replace")  # type: ignore[attr-defined]
    return run_test_mode(config, sys.stdin, verbose)


if __name__ == "__main__":
    sys.exit(main())
