"""Differential runs of monomail's m4 library against sendmail's, both judged by real sendmail -bt.

One .mc is built twice, with m4/cf.m4 and with sendmail's own cf tree; each cf is loaded in the
same real sendmail (tests/oracle.py: fixed host name, no network), and the two sessions are fed
the same commands.  The verdict of each command (mailer triple, final ruleset result, error and
status lines) must agree; the traces of helper rulesets may differ.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import oracle

from monomail.config.mc import find_m4

ROOT = Path(__file__).resolve().parents[2]
MONOMAIL_CF_M4 = ROOT / "m4" / "cf.m4"
DATA = Path(__file__).resolve().parent / "data"
MAPS = ("access", "mailertable", "virtusertable", "genericstable", "domaintable", "authinfo")


def make_settings(folder: Path, program: oracle.Program | None = None) -> Path:
    """Copy data/settings to folder and build its maps with the program's own makemap
    (sendmail's by default)."""
    shutil.copytree(DATA / "settings", folder)
    stub = folder / "makemap.cf"  # sendmail's makemap wants a cf (for TrustedUser)
    stub.write_text("V10/Berkeley\n")
    for name in MAPS:
        oracle.build_map(program or oracle.sendmail_program(), "hash", folder / name,
                         folder / name, stub)
    return folder


def prepare_mc(source: Path, settings: Path, work: Path) -> Path:
    """A copy of the .mc in work, with every file it reads pointed at settings and the Start helper
    ruleset (data/start.m4) appended so that -bt can pass the $| operator."""
    paths = {
        "MAIL_SETTINGS_DIR": f"{settings}/",
        "confHOSTS_FILE": f"{settings}/hosts",
        "confSERVICE_SWITCH_FILE": f"{settings}/service.switch",
    }
    defines = "".join(f"define(`{name}', `{value}')dnl\n" for name, value in paths.items())
    mc = work / source.name
    mc.write_text("divert(-1)\n" + defines + "divert(0)dnl\n" + source.read_text() + (DATA / "start.m4").read_text())
    return mc


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


def bt_chunks(cf: Path, lines: list[str], program: oracle.Program | None = None,
              binds: tuple[tuple[Path, str], ...] = ()) -> list[str]:
    """What a `PROGRAM -bt -C cf` session printed (sendmail by default): first the banner
    with any warnings about the cf itself, then the output of each input line."""
    program = program or oracle.sendmail_program()
    run = oracle.run_bt(program.argv, cf, "\n".join(lines) + "\n", env=program.env,
                        binds=binds)
    text = run.stdout
    first = re.search(r"(?m)^> ", text)  # the banner says "Enter <ruleset> <address>": skip it
    start = first.start() if first else -1
    if start < 0:
        raise RuntimeError(f"sendmail -bt printed no prompt for {cf}:\n{text}\n{run.stderr}")
    chunks = [text[:start]]
    for chunk in re.split(r"(?m)^> ", text[start + 2 :]):
        while chunk.startswith("> "):  # a command that printed nothing: prompts run together
            chunks.append("")
            chunk = chunk[2:]
        chunks.append(chunk)
    return chunks[: len(lines) + 1]


_TRACE = re.compile(r"^\S+\s+(input|returns): ")


def verdict(chunk: str) -> str:
    """What must agree for one command: every line but ruleset traces, plus the last result."""
    lines = chunk.splitlines()
    kept = [line for line in lines if not _TRACE.match(line)]
    results = [line.split(" returns: ", 1)[1] for line in lines if _TRACE.match(line) and " returns: " in line]
    if results:
        kept.append("=> " + results[-1])
    return "\n".join(kept)


def compare(mc: Path, lines: list[str], settings: dict[str, Path] | None = None
            ) -> tuple[list[str], int]:
    """Run both cfs of mc on lines; return the differences (readable) and how many traces agreed.

    Without `settings` both cfs run in sendmail.  With it ({"sendmail": folder, "monomail":
    folder}, each with maps from that program's makemap, bind-mounted where the .mc points),
    monomail's cf runs in monomail and sendmail's in sendmail: the product as it ships."""
    theirs, ours = build_both(mc)
    if settings is None:
        expected, got = bt_chunks(theirs, lines), bt_chunks(ours, lines)
    else:
        mount = str(settings["mount"])
        expected = bt_chunks(theirs, lines, binds=((settings["sendmail"], mount),))
        got = bt_chunks(ours, lines, oracle.monomail_program(),
                        binds=((settings["monomail"], mount),))
    differences, same_trace = [], 0
    for line, want, have in zip(["(loading the cf)", *lines], expected, got):
        same_trace += want == have
        if verdict(want) != verdict(have):
            differences.append(f"input: {line}\n--- sendmail m4:\n{verdict(want)}\n--- monomail m4:\n{verdict(have)}")
    if len(expected) != len(got):
        differences.append(f"sessions differ in length: {len(expected)} vs {len(got)} commands")
    return differences, same_trace
