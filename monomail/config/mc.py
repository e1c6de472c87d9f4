"""`monomail-cf site.mc > site.cf`: build a configuration from an .mc with monomail's m4 library.

It runs GNU m4 (from PATH, or the one the cmeel-m4 wheel installs) on m4/cf.m4 and the .mc, the
way `m4 /path/to/m4/cf.m4 site.mc` does, and adds what bare m4 cannot: nothing is written unless
the whole build succeeded, and a macro m4 left unexpanded (a typo such as `FEATUER(...)`) is an
error naming its .mc line.  Exit status: 0 built, 64 usage, 65 the .mc is wrong, 69 no GNU m4,
73 the output cannot be written.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from monomail.sysexits import EX_CANTCREAT, EX_DATAERR, EX_OK, EX_UNAVAILABLE, EX_USAGE

#: the library: m4/cf.m4 next to the monomail package in a source tree or an installed data dir
LIBRARY_CANDIDATES = (
    Path(__file__).resolve().parents[2] / "m4" / "cf.m4",
    Path(sys.prefix) / "share" / "monomail" / "m4" / "cf.m4",
)

#: an all-capitals word glued to "(" that survived m4: an unknown macro, in an .mc never real cf text
_UNEXPANDED = re.compile(r"\b([A-Z][A-Z0-9]*_[A-Z0-9_]*|[A-Z]{4,}[A-Z0-9]*)\(")


class BuildError(Exception):
    """The .mc could not be built; the message names the file and line where m4 knows them."""


def find_m4() -> str:
    """Path of a GNU m4: $MONOMAIL_M4, then `m4` on PATH, then the cmeel-m4 wheel's binary."""
    candidates = [os.environ.get("MONOMAIL_M4"), shutil.which("m4")]
    purelib = Path(sysconfig.get_paths()["purelib"])
    candidates.append(str(purelib / "cmeel.prefix" / "bin" / "m4"))
    for candidate in filter(None, candidates):
        if os.access(candidate, os.X_OK) and _is_gnu(candidate):
            return candidate
    raise FileNotFoundError("GNU m4 not found: install Debian's m4 or `pip install cmeel-m4`")


def _is_gnu(m4: str) -> bool:
    try:
        run = subprocess.run([m4, "--version"], capture_output=True, text=True, timeout=10)
    except OSError:
        return False
    return "GNU M4" in run.stdout


def find_library() -> Path:
    """m4/cf.m4 of this monomail."""
    for candidate in LIBRARY_CANDIDATES:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("monomail's m4 library (m4/cf.m4) is not installed")


def build(mc: Path, defines: list[str] | None = None, library: Path | None = None) -> tuple[str, str]:
    """Return (cf text, m4 warnings) for the .mc; raise BuildError when m4 or the check fails."""
    cf_m4 = library or find_library()
    argv = [find_m4(), *(f"-D{define}" for define in defines or ()), str(cf_m4), mc.name]
    run = subprocess.run(argv, cwd=mc.parent, capture_output=True, text=True)
    if run.returncode != 0 or "*** ERROR" in run.stderr:
        raise BuildError(run.stderr.strip() or f"m4 exited with status {run.returncode}")
    unknown = unexpanded_macros(run.stdout, mc.read_text(errors="replace").splitlines(), mc.name)
    if unknown:
        raise BuildError("\n".join(unknown))
    return run.stdout, run.stderr


def unexpanded_macros(cf: str, mc_lines: list[str], mc_name: str) -> list[str]:
    """Messages for macro calls in the .mc that m4 did not know and copied into the cf."""
    messages = []
    for name in dict.fromkeys(match.group(1) for match in _UNEXPANDED.finditer(cf)):
        call = re.compile(rf"\b{re.escape(name)}\(")
        line = next((number for number, text in enumerate(mc_lines, 1) if call.search(text)), None)
        if line is not None:
            messages.append(f"{mc_name}:{line}: *** ERROR: unknown macro {name}() (a typo?); nothing was built")
    return messages


def write_atomically(path: Path, text: str) -> None:
    """Write text to path through a temporary file in the same folder, renamed over it at the end."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="monomail-cf", description="Build a monomail.cf from an .mc file with monomail's m4 library."
    )
    parser.add_argument("mc", type=Path, help="the .mc file (sendmail.mc syntax)")
    parser.add_argument("-o", "--output", type=Path, help="write the cf here instead of standard output")
    parser.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE",
                        help="define an m4 macro before the .mc is read (as m4 -D)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return EX_USAGE if stop.code else EX_OK
    if not args.mc.is_file():
        print(f"monomail-cf: {args.mc}: no such file", file=sys.stderr)
        return EX_USAGE
    try:
        cf, warnings = build(args.mc.resolve(), args.defines)
    except FileNotFoundError as missing:
        print(f"monomail-cf: {missing}", file=sys.stderr)
        return EX_UNAVAILABLE
    except BuildError as error:
        print(error, file=sys.stderr)
        return EX_DATAERR
    sys.stderr.write(warnings)
    try:
        if args.output is None:
            sys.stdout.write(cf)
        else:
            write_atomically(args.output, cf)
    except OSError as error:
        print(f"monomail-cf: cannot write {args.output}: {error.strerror}", file=sys.stderr)
        return EX_CANTCREAT
    return EX_OK


if __name__ == "__main__":
    sys.exit(main())
