"""Build a cf from an .mc with an m4 library, run real sendmail's -bt on it, compare sessions.

The oracle is Debian's sendmail 8.17 unpacked by scripts/fetch-sendmail.sh into .cache/sendmail.
Both cf files (monomail's m4 and sendmail's m4, same .mc) are loaded in the same real sendmail, with a
fixed host name and no network, so every difference in the output comes from the generated rules.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
M4_LIB = ROOT / "m4" / "cf.m4"
HOSTNAME = "mail.example.com"


@dataclass(frozen=True)
class Oracle:
    """Paths of the unpacked sendmail: the binary, its makemap, its m4 tree, its libraries."""

    sendmail: Path
    makemap: Path
    cf_m4: Path
    libpath: str

    def env(self) -> dict[str, str]:
        return {**os.environ, "LD_LIBRARY_PATH": self.libpath}


def find_oracle() -> Oracle | str:
    """The cached sendmail, fetched on first use; a string saying why not when it cannot be had."""
    cache = Path(os.environ.get("MONOMAIL_SENDMAIL_CACHE", ROOT / ".cache" / "sendmail"))
    binary = cache / "root/usr/libexec/sendmail/sendmail"
    if not binary.exists():
        script = ROOT / "scripts" / "fetch-sendmail.sh"
        run = subprocess.run(["sh", str(script), str(cache)], capture_output=True, text=True)
        if run.returncode != 0 or not binary.exists():
            return f"sendmail oracle not available: {run.stderr.strip()[-200:]}"
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return "the oracle runs under unshare -u -n, which needs root"
    root = cache / "root"
    return Oracle(
        sendmail=binary,
        makemap=root / "usr/libexec/sendmail/makemap",
        cf_m4=root / "usr/share/sendmail/cf/m4/cf.m4",
        libpath=f"{root}/lib/x86_64-linux-gnu:{root}/usr/lib/x86_64-linux-gnu",
    )


def m4_binary() -> str:
    """GNU m4: the one on PATH, else the cmeel-m4 wheel's."""
    from monomail.config.mc import find_m4

    return find_m4()


def build_cf(cf_m4: Path, mc: Path) -> str:
    """Run `m4 cf.m4 site.mc` in the mc's folder; raise with m4's message on failure."""
    run = subprocess.run([m4_binary(), str(cf_m4), mc.name], cwd=mc.parent, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"m4 failed on {mc}: {run.stderr}")
    return run.stdout


def makemap(oracle: Oracle, source: Path) -> None:
    """Build source.db from the text file `source` with sendmail's own makemap."""
    with source.open("rb") as text:
        subprocess.run([str(oracle.makemap), "hash", str(source)], stdin=text, env=oracle.env(), check=True)


def run_bt(oracle: Oracle, cf: Path, lines: list[str]) -> list[str]:
    """Feed `lines` to `sendmail -bt -C cf`; return the output of each line (the text after its prompt)."""
    script = f"hostname {HOSTNAME}; exec {oracle.sendmail} -bt -C {cf}"
    run = subprocess.run(
        ["unshare", "-u", "-n", "sh", "-c", script],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=oracle.env(),
        timeout=120,
    )
    text = run.stdout
    start = text.find("> ")
    if start < 0:
        raise RuntimeError(f"sendmail -bt printed no prompt:\n{text}\n{run.stderr}")
    chunks = re.split(r"(?m)^> ", text[start + 2 :])
    return chunks[: len(lines)]


TRACE = re.compile(r"^\S+\s+(input|returns): ")


def verdict(chunk: str) -> str:
    """What must agree for one command: every line but the helper-ruleset trace, plus the final result."""
    lines = chunk.splitlines()
    kept = [line for line in lines if not TRACE.match(line)]
    results = [line for line in lines if TRACE.match(line) and " returns: " in line]
    if results:
        kept.append("=> " + results[-1].split(" returns: ", 1)[1])
    return "\n".join(kept)
