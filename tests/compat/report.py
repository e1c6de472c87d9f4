#!/usr/bin/env python3
"""Per-cf agreement table and diffs between sendmail -bt and monomail -bt (for developers).

    python tests/compat/report.py                      # every cf, monomail against sendmail
    python tests/compat/report.py localrules uucp      # only these cfs
    python tests/compat/report.py --candidate sendmail # sendmail against itself (harness check)
    python tests/compat/report.py --diffs 50 --show maps:commands.bt:70

Run as root (the programs run in namespaces).  CI runs test_bt_differential.py instead.
"""

from __future__ import annotations

import argparse
import fnmatch
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import btcompare  # noqa: E402
import oracle  # noqa: E402  (btcompare put tests/ on sys.path)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options: which cfs, which candidate, how many diffs to print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cfs", nargs="*", help="cf names (default: all)")
    parser.add_argument("--candidate", default="monomail", choices=["monomail", "sendmail"])
    parser.add_argument("--diffs", type=int, default=10, help="differing sections to print per cf")
    parser.add_argument("--show", action="append", default=[], metavar="ID",
                        help="print both outputs of the sections matching this id pattern")
    parser.add_argument("--keep", action="store_true", help="keep the generated cfs and settings")
    return parser.parse_args(argv)


def print_sections(results: list[btcompare.CfResult], patterns: list[str]) -> None:
    """Print the differing sections whose ids match one of patterns."""
    for result in results:
        for pair in [*result.result_diffs, *result.trace_diffs, *result.known_diffs]:
            if any(fnmatch.fnmatchcase(pair.id, p) for p in patterns):
                print(pair.diff(result.names))


def main(argv: list[str] | None = None) -> int:
    """Run the chosen cfs, print the table, the diffs, and listed ids that no longer differ."""
    args = parse_args(argv)
    oracle.check_sandbox()
    programs = {"oracle": oracle.sendmail_program(), "candidate": oracle.program_by_name(args.candidate)}
    specs = [s for s in btcompare.cf_specs() if not args.cfs or s.name in args.cfs]
    known = btcompare.load_known_differences()
    root = Path(tempfile.mkdtemp(prefix="report-", dir=oracle.safe_work_root()))
    results, started = [], time.monotonic()
    try:
        for spec in specs:
            results.append(btcompare.compare_cf(spec, root, programs, known))
            print(results[-1].summary(), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(f"({time.monotonic() - started:.1f} s; work folder {root}{'' if args.keep else ' removed'})")
    for result in results:
        if result.result_diffs or result.trace_diffs:
            print(f"\n##### {result.cf}: {', '.join(result.failures(0.99)) or 'ok'}")
            print(result.first_diffs(args.diffs))
    print_sections(results, args.show)
    stale = btcompare.stale_known(results, known) if len(specs) == len(btcompare.cf_specs()) else []
    if stale:
        print("\nlisted in KNOWN_DIFFERENCES.md but agreeing now:", *stale, sep="\n  ")
    return 1 if any(r.failures(0.99) for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
