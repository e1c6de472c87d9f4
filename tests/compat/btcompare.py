"""Differential `-bt` runs: which .cf files and inputs, how outputs are cut into sections, how
sections are compared and counted.  Used by test_bt_differential.py (CI) and report.py (people).

A *section* is what one program printed for one input line (the text after the "> " prompt
that precedes it).  Besides those, every session has four sections of its own: the preamble
(banner and configuration warnings before the first prompt), what follows the last input
line's section (the final prompt at end of input), stderr and the exit code.  Section ids
are `CF:FILE:LINE` for input lines and `CF:SESSION:preamble|eof|stderr|rc` for the rest;
KNOWN_DIFFERENCES.md lists ids (shell-style patterns allowed) whose traces may differ.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import oracle  # noqa: E402  (tests/ is not a package)

COMPAT_DIR = Path(__file__).resolve().parent
MC_DIR = COMPAT_DIR / "mc"
INPUT_DIR = COMPAT_DIR / "inputs"
ETC_DIR = COMPAT_DIR / "etc"
KNOWN_DIFFERENCES = COMPAT_DIR / "KNOWN_DIFFERENCES.md"

#: Lines that change the state later lines see: their file runs in a session of its own.
STATEFUL_LINE = re.compile(r"^\s*(\.[DC]|-d|/tryflags|/quit)", re.IGNORECASE)
SOLO_MARKER = "# solo"
TRACE_LINE = re.compile(r"^(\S+)\s+(input|returns):")
RESULT_PREFIXES = (
    "mailer ",
    "== Ruleset ",
    "Rcode = ",
    "Cracked address = ",
    "Cannot parse",
    "Undefined ruleset",
    "invalid ruleset",
    "map_lookup: ",
    "getcanonname(",
)
STATUS_LINE = re.compile(r"^(\d{3}[ -]|.*\.\.\. )")
MAX_RESTARTS = 20


# --- what runs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CfSpec:
    """One configuration under test: our own .mc, or one of sendmail's referenced by a .ref."""

    name: str
    mc_path: Path


@dataclass(frozen=True)
class InputLine:
    """One line of -bt input and where it came from (for section ids and messages)."""

    file: str
    lineno: int
    text: str

    @property
    def where(self) -> str:
        return f"{self.file}:{self.lineno}"


@dataclass
class Session:
    """Lines fed to one -bt process (stateless files share one; stateful ones run alone)."""

    name: str
    lines: list[InputLine]

    def stdin(self) -> str:
        return "".join(line.text + "\n" for line in self.lines)


def cf_specs() -> list[CfSpec]:
    """Every .mc in mc/, plus every .ref (a path inside sendmail's own cf tree, not copied)."""
    specs = [CfSpec(mc.stem, mc) for mc in sorted(MC_DIR.glob("*.mc"))]
    for ref in sorted(MC_DIR.glob("*.ref")):
        target = oracle.sendmail_cf_dir() / ref.read_text().strip()
        specs.append(CfSpec(ref.stem, target))
    return sorted(specs, key=lambda spec: spec.name)


def cf_names() -> list[str]:
    """Names for parametrizing without fetching the oracle at collection time."""
    return sorted(path.stem for path in [*MC_DIR.glob("*.mc"), *MC_DIR.glob("*.ref")])


def input_files(cf_name: str) -> list[Path]:
    """inputs/*.bt run against every cf; inputs/CF/*.bt only against that one."""
    common = sorted(INPUT_DIR.glob("*.bt"))
    own = sorted((INPUT_DIR / cf_name).glob("*.bt"))
    return common + own


def read_input(path: Path) -> list[InputLine]:
    """The lines of one input file, numbered from 1 (bytes kept as they are)."""
    text = path.read_bytes().decode("utf-8", "surrogateescape")
    name = str(path.relative_to(INPUT_DIR))
    lines = text.split("\n")  # not splitlines(): \r, \f, \x1c... are input bytes here
    if lines and lines[-1] == "":
        lines.pop()
    return [InputLine(name, n, line) for n, line in enumerate(lines, start=1)]


def is_solo(lines: list[InputLine]) -> bool:
    """A file runs alone if it says so on its first line or changes state (.D, .C, /tryflags)."""
    if lines and lines[0].text.startswith(SOLO_MARKER):
        return True
    return any(STATEFUL_LINE.match(line.text) for line in lines)


def plan_sessions(cf_name: str) -> list[Session]:
    """One shared session for all stateless files, then one per stateful file."""
    batch = Session("batch", [])
    solos = []
    for path in input_files(cf_name):
        lines = read_input(path)
        if is_solo(lines):
            solos.append(Session(lines[0].file if lines else path.name, lines))
        else:
            batch.lines.extend(lines)
    return ([batch] if batch.lines else []) + solos


def distinct_input_lines() -> set[str]:
    """All distinct input lines of the corpus (the brief asks for at least 500)."""
    lines: set[str] = set()
    for path in INPUT_DIR.rglob("*.bt"):
        lines.update(line.text for line in read_input(path))
    return lines


# --- settings folders --------------------------------------------------------------------------


def maps_used(cf: Path, mount: Path) -> list[Path]:
    """Sources in etc/maps/ whose built map the .cf names (as MOUNT/NAME)."""
    text = cf.read_text(errors="replace")
    return [src for src in sorted((ETC_DIR / "maps").iterdir()) if f"{mount}/{src.name}" in text]


def prepare_settings(program: oracle.Program, dest: Path, cf: Path, maps: list[Path]) -> list[str]:
    """Copy etc/ into dest, add sendmail's helpfile, build the maps with program's makemap.

    A makemap that fails is reported, not raised, so that the -bt comparison still runs and
    shows what the missing map changes.
    """
    shutil.copytree(ETC_DIR, dest, ignore=shutil.ignore_patterns("maps", "README.md"))
    helpfile = oracle.sendmail_root() / "etc/mail/helpfile"
    if helpfile.exists():
        shutil.copy(helpfile, dest / "helpfile")
    problems = []
    for source in maps:
        try:
            oracle.build_map(program, "hash", source, dest / source.name, cf)
        except oracle.OracleError as error:
            problems.append(str(error).strip().splitlines()[0] + " (last line: "
                            + str(error).strip().splitlines()[-1] + ")")
    return problems


@dataclass
class Workspace:
    """A .cf and one settings folder per program, mounted in turn on the path the .cf names."""

    cf: Path
    settings_mount: Path
    settings: dict[str, Path]
    problems: list[str]


def make_workspace(spec: CfSpec, root: Path, programs: dict[str, oracle.Program]) -> Workspace:
    """Build spec's .cf under root and a settings folder for each program."""
    work = root / spec.name
    if work.exists():
        shutil.rmtree(work)
    mount = work / "etc"
    mount.mkdir(parents=True)
    cf = oracle.build_sendmail_cf(spec.mc_path, work / f"{spec.name}.cf", mount)
    maps = maps_used(cf, mount)
    settings, problems = {}, []
    for role, program in programs.items():
        settings[role] = work / f"etc-{role}"
        problems += prepare_settings(program, settings[role], cf, maps)
    return Workspace(cf, mount, settings, problems)


def run_session(program: oracle.Program, ws: Workspace, role: str, session: Session) -> oracle.BtRun:
    """Run one session of program with its own settings mounted where the .cf looks."""
    settings = ws.settings[role]
    binds = [(settings, str(ws.settings_mount)), *oracle.system_binds(settings)]
    return oracle.run_bt(program.argv, ws.cf, session.stdin(), env=program.env, binds=binds)


def run_resuming(program: oracle.Program, ws: Workspace, role: str, session: Session) -> oracle.BtRun:
    """Run a session; when the program dies on a line, go on in a fresh process from the next one.

    So a crash costs the comparison one section, not the rest of the session (sessions are
    stateless or short).  The dead line's section gets a marker; stderr is kept from every
    process; the exit code is the last process's.
    """
    out, err, start, run = [], [], 0, None
    for _ in range(MAX_RESTARTS + 1):
        rest = session.lines[start:]
        run = run_session(program, ws, role, Session(session.name, rest))
        split = split_sections(run.stdout)
        out += [split.preamble] if start == 0 else []
        out += [f"> {text}" for text in split.sections]
        err.append(run.stderr)
        died = run.rc != 0 and 0 < len(split.sections) <= len(rest)
        if not died or start + len(split.sections) >= len(session.lines):
            break
        out[-1] += f"<{program.name} died on this line: exit {run.rc}>\n"
        start += len(split.sections)
    return oracle.BtRun("".join(out), "".join(err), run.rc if run else 0)


# --- cutting output into sections -------------------------------------------------------------


@dataclass
class Split:
    """stdout of a session cut at the prompts: the preamble, then the text after each prompt."""

    preamble: str
    sections: list[str]


def split_sections(stdout: str, prompt: str = "> ") -> Split:
    """Cut stdout at each prompt that starts a line or directly follows another prompt.

    sendmail prints "> " before reading each line (stdin need not be a tty), and nothing ends
    that prompt: a command without output (a comment, /tryflags) leaves the next prompt on the
    same line, so "> > " is two sections, the first one empty.  At end of input there is one
    prompt more than lines, so a clean run has len(lines) + 1 sections, the last one empty.
    """
    if stdout.startswith(prompt):
        pos = 0
    elif (newline := stdout.find("\n" + prompt)) >= 0:
        pos = newline + 1
    else:
        return Split(stdout, [])
    preamble, texts = stdout[:pos], []
    while stdout.startswith(prompt, pos):
        pos += len(prompt)
        if stdout.startswith(prompt, pos):
            texts.append("")
            continue
        end = stdout.find("\n" + prompt, pos)
        end = len(stdout) if end < 0 else end + 1
        texts.append(stdout[pos:end])
        pos = end
    return Split(preamble, texts)


def final_view(text: str) -> list[str]:
    """The results in a section: returns of top-level rulesets, mailer triples, status lines.

    Trace lines are not indented by depth, so depth is counted from input/returns pairs.
    """
    depth, results = 0, []
    for line in text.splitlines():
        trace = TRACE_LINE.match(line)
        if trace:
            depth += 1 if trace[2] == "input" else -1
            if depth <= 0 and trace[2] == "returns":
                results.append(line)
                depth = 0
        elif line.startswith(RESULT_PREFIXES) or STATUS_LINE.match(line):
            results.append(line)
    return results


# --- comparing ---------------------------------------------------------------------------------


@dataclass
class SectionPair:
    """The two programs' text for one section, and which input line (if any) caused it."""

    id: str
    input: str
    texts: dict[str, str]

    @property
    def same_trace(self) -> bool:
        return self.texts["oracle"] == self.texts["candidate"]

    @property
    def same_result(self) -> bool:
        """Final results agree (the exit code is a result as a whole)."""
        if self.id.endswith(":rc"):
            return self.same_trace
        return final_view(self.texts["oracle"]) == final_view(self.texts["candidate"])

    def diff(self, names: dict[str, str]) -> str:
        """A readable unified diff of the two texts, headed by the id and the input line."""
        lines = difflib.unified_diff(
            self.texts["oracle"].splitlines(keepends=True),
            self.texts["candidate"].splitlines(keepends=True),
            fromfile=names["oracle"],
            tofile=names["candidate"],
        )
        body = "".join(line if line.endswith("\n") else line + "\n\\ no newline\n" for line in lines)
        return f"=== {self.id}   input: {self.input!r}\n{body}"


def _section_text(split: Split, index: int) -> str:
    """Section index of a split, or a marker when that program printed fewer prompts."""
    if index < len(split.sections):
        return split.sections[index]
    return "<no prompt: the program stopped or printed fewer prompts>\n"


def pair_sections(
    cf_name: str, session: Session, runs: dict[str, oracle.BtRun]
) -> Iterator[SectionPair]:
    """Pair the two programs' sections of one session, input line by input line."""
    splits = {role: split_sections(run.stdout) for role, run in runs.items()}
    prefix = f"{cf_name}:{session.name}"
    yield SectionPair(f"{prefix}:preamble", "", {r: s.preamble for r, s in splits.items()})
    for index, line in enumerate(session.lines):
        texts = {role: _section_text(split, index) for role, split in splits.items()}
        yield SectionPair(f"{cf_name}:{line.where}", line.text, texts)
    extra = {role: _extra_text(split, len(session.lines)) for role, split in splits.items()}
    yield SectionPair(f"{prefix}:eof", "", extra)
    yield SectionPair(f"{prefix}:stderr", "", {r: run.stderr for r, run in runs.items()})
    yield SectionPair(f"{prefix}:rc", "", {r: f"exit {run.rc}\n" for r, run in runs.items()})


def _extra_text(split: Split, expected: int) -> str:
    """What came after the sections of the input lines (empty after a clean end of input)."""
    return "".join(f"> {text}" for text in split.sections[expected:])


def load_known_differences(path: Path = KNOWN_DIFFERENCES) -> dict[str, str]:
    """Ids (or patterns) and reasons from the lines "- `CF:FILE:LINE` reason" that follow the
    "## Entries" heading (the text above it only describes the format)."""
    if not path.exists():
        return {}
    text = path.read_text()
    entries, start = {}, text.find("\n## Entries")
    for line in text[start:].splitlines() if start >= 0 else []:
        match = re.match(r"^[-*]\s+`([^`]+)`\s*[:—-]?\s*(.*)$", line)
        if match:
            entries[match[1]] = match[2].strip()
    return entries


def known_reason(section_id: str, known: dict[str, str]) -> str | None:
    """The listed reason for a section id, matching exact ids or shell-style patterns."""
    for pattern, reason in known.items():
        if fnmatch.fnmatchcase(section_id, pattern):
            return reason or "(no reason given)"
    return None


# --- counting ----------------------------------------------------------------------------------


@dataclass
class CfResult:
    """Agreement counts for one .cf, and the sections that differ."""

    cf: str
    names: dict[str, str]
    total: int = 0
    trace_same: int = 0
    result_same: int = 0
    trace_diffs: list[SectionPair] = field(default_factory=list)
    result_diffs: list[SectionPair] = field(default_factory=list)
    known_diffs: list[SectionPair] = field(default_factory=list)
    used_known: set[str] = field(default_factory=set)
    harness_problems: list[str] = field(default_factory=list)

    def add(self, pair: SectionPair, known: dict[str, str]) -> None:
        """Count one section; remember it if it differs (listed or not)."""
        self.total += 1
        self.trace_same += pair.same_trace
        self.result_same += pair.same_result
        if not pair.same_result:
            self.result_diffs.append(pair)
        if pair.same_trace:
            return
        if known_reason(pair.id, known) is None:
            self.trace_diffs.append(pair)
        else:
            self.known_diffs.append(pair)
            self.used_known.update(p for p in known if fnmatch.fnmatchcase(pair.id, p))

    @property
    def trace_ratio(self) -> float:
        return self.trace_same / self.total if self.total else 1.0

    def summary(self) -> str:
        """One table row: sections, results agreeing, traces agreeing, listed differences."""
        return (
            f"{self.cf:<16} sections {self.total:5d}  results {self.result_same:5d} "
            f"({100 * self.result_same / max(self.total, 1):6.2f}%)  traces {self.trace_same:5d} "
            f"({100 * self.trace_ratio:6.2f}%)  listed {len(self.known_diffs):3d}  "
            f"unlisted {len(self.trace_diffs):3d}"
        )

    def failures(self, min_trace_ratio: float) -> list[str]:
        """Why this cf fails: a result differs, a trace differs unlisted, or too few agree."""
        problems = [f"harness: {problem}" for problem in self.harness_problems]
        if self.result_diffs:
            problems.append(f"{len(self.result_diffs)} section(s) with different final results")
        if self.trace_diffs:
            problems.append(f"{len(self.trace_diffs)} differing trace(s) not in KNOWN_DIFFERENCES.md")
        if self.trace_ratio < min_trace_ratio:
            problems.append(f"traces agree on {100 * self.trace_ratio:.2f}% < {100 * min_trace_ratio:.0f}%")
        return problems

    def first_diffs(self, limit: int) -> str:
        """The first differing sections as unified diffs: stderr first (a program that did not
        start says why there), then results, then traces."""
        ordered = sorted([*self.result_diffs, *self.trace_diffs], key=lambda p: not p.id.endswith(":stderr"))
        seen, shown = set(), []
        for pair in ordered:
            if pair.id not in seen and len(shown) < limit:
                seen.add(pair.id)
                shown.append(pair.diff(self.names))
        return "\n".join(shown)


def compare_cf(
    spec: CfSpec,
    root: Path,
    programs: dict[str, oracle.Program],
    known: dict[str, str],
) -> CfResult:
    """Run every session of one .cf under both programs and count the sections."""
    ws = make_workspace(spec, root, programs)
    result = CfResult(spec.name, {role: p.name for role, p in programs.items()})
    result.harness_problems.extend(ws.problems)
    for session in plan_sessions(spec.name):
        runs = {role: run_resuming(p, ws, role, session) for role, p in programs.items()}
        result.harness_problems.extend(check_oracle_split(spec.name, session, runs["oracle"]))
        for pair in pair_sections(spec.name, session, runs):
            result.add(pair, known)
    return result


def check_oracle_split(cf_name: str, session: Session, run: oracle.BtRun) -> list[str]:
    """sendmail must print one prompt per input line plus one at end of input; if not, the
    sections are misaligned (an input line whose output looks like a prompt, a line longer
    than sendmail's buffer, a /quit) and the corpus needs fixing, not monomail."""
    expected = len(session.lines) + (0 if session.lines and session.lines[-1].text.startswith("/quit") else 1)
    found = len(split_sections(run.stdout).sections)
    if found == expected:
        return []
    return [f"{cf_name}:{session.name}: sendmail printed {found} prompts for {expected} expected"]


def stale_known(results: Iterable[CfResult], known: dict[str, str]) -> list[str]:
    """Listed ids that matched no differing section in these runs (they may be removed)."""
    used = set().union(*(r.used_known for r in results)) if known else set()
    return sorted(set(known) - used)
