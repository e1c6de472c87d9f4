"""Differential runs of monomail's m4 library against sendmail's, both judged by real sendmail -bt.

One .mc is built twice, with m4/cf.m4 and with sendmail's own cf tree; each cf is loaded in the
same real sendmail (tests/oracle.py: fixed host name, no network), and the two sessions are fed
the same commands.  The verdict of each command (mailer triple, final ruleset result, error and
status lines) must agree; the traces of helper rulesets may differ.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import oracle

from monomail.config.mc import find_m4

ROOT = Path(__file__).resolve().parents[2]
MONOMAIL_CF_M4 = ROOT / "m4" / "cf.m4"


def build_cf(cf_m4: Path, mc: Path, out: Path) -> Path:
    """`m4 cf.m4 site.mc > out`, run in the .mc's folder; raise with m4's message on failure."""
    run = subprocess.run([find_m4(), str(cf_m4), mc.name], cwd=mc.parent, capture_output=True, text=True)
    if run.returncode != 0 or "ERROR" in run.stderr:
        raise RuntimeError(f"m4 {cf_m4} failed on {mc}:\n{run.stderr}")
    out.write_text(run.stdout)
    return out


def build_both(mc: Path) -> tuple[Path, Path]:
    """The sendmail-built and the monomail-built cf of one .mc, side by side."""
    theirs = build_cf(oracle.sendmail_cf_dir() / "m4" / "cf.m4", mc, mc.with_suffix(".sendmail.cf"))
    ours = build_cf(MONOMAIL_CF_M4, mc, mc.with_suffix(".monomail.cf"))
    return theirs, ours


def bt_chunks(cf: Path, lines: list[str]) -> list[str]:
    """The output of each input line of a `sendmail -bt -C cf` session (the text after its prompt)."""
    program = oracle.sendmail_program()
    run = oracle.run_bt(program.argv, cf, "\n".join(lines) + "\n", env=program.env)
    text = run.stdout
    start = text.find("> ")
    if start < 0:
        raise RuntimeError(f"sendmail -bt printed no prompt for {cf}:\n{text}\n{run.stderr}")
    return re.split(r"(?m)^> ", text[start + 2 :])[: len(lines)]


_TRACE = re.compile(r"^\S+\s+(input|returns): ")


def verdict(chunk: str) -> str:
    """What must agree for one command: every line but ruleset traces, plus the last result."""
    lines = chunk.splitlines()
    kept = [line for line in lines if not _TRACE.match(line)]
    results = [line.split(" returns: ", 1)[1] for line in lines if _TRACE.match(line) and " returns: " in line]
    if results:
        kept.append("=> " + results[-1])
    return "\n".join(kept)


def compare(mc: Path, lines: list[str]) -> tuple[list[str], int]:
    """Run both cfs of mc on lines; return the differences (readable) and how many traces agreed."""
    theirs, ours = build_both(mc)
    expected, got = bt_chunks(theirs, lines), bt_chunks(ours, lines)
    differences, same_trace = [], 0
    for line, want, have in zip(lines, expected, got):
        same_trace += want == have
        if verdict(want) != verdict(have):
            differences.append(f"input: {line}\n--- sendmail m4:\n{verdict(want)}\n--- monomail m4:\n{verdict(have)}")
    if len(expected) != len(got):
        differences.append(f"sessions differ in length: {len(expected)} vs {len(got)} commands")
    return differences, same_trace
