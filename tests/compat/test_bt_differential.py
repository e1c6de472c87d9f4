"""monomail -bt against sendmail -bt, byte for byte, on the same .cf files and inputs.

For every cf in mc/ and every input in inputs/, both programs run the same sessions and their
outputs are cut into per-input sections (see btcompare).  Final results (top-level returns,
mailer triples, status lines, exit codes) must agree on every section; whole traces on at least
MIN_TRACE_RATIO of them, and every differing trace must be listed in KNOWN_DIFFERENCES.md.

MONOMAIL_BT_CANDIDATE=sendmail runs sendmail against itself, which checks the harness.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

import btcompare
import oracle

MIN_TRACE_RATIO = 0.99
MIN_DISTINCT_INPUTS = 500
DIFFS_SHOWN = 5


@pytest.fixture(scope="module")
def agreement_table(request: pytest.FixtureRequest) -> Iterator[list[btcompare.CfResult]]:
    """Collect each cf's counts and print them as one table at the end of the module
    (past pytest's output capture, so that passing runs show the numbers too)."""
    results: list[btcompare.CfResult] = []
    yield results
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None or not results:
        return
    with capture.global_and_fixture_disabled():
        for line in agreement_lines(results):
            reporter.write_line(line)


def agreement_lines(results: list[btcompare.CfResult]) -> list[str]:
    """The summary table, and listed differences that no longer differ."""
    lines = ["", "-bt agreement (sections: one per input line, plus preamble/eof/stderr/rc per session)"]
    lines += [result.summary() for result in results]
    stale = btcompare.stale_known(results, btcompare.load_known_differences())
    if stale and len(results) == len(btcompare.cf_names()):
        lines.append("listed in KNOWN_DIFFERENCES.md but agreeing now: " + ", ".join(stale))
    return lines


def test_corpus_is_large_enough() -> None:
    """The brief: at least 500 distinct -bt input lines."""
    assert len(btcompare.distinct_input_lines()) >= MIN_DISTINCT_INPUTS


@pytest.mark.parametrize(
    "command",
    ["3,0 ", "/parse ", "/tryflags ", "/try ", "=S", "=M", "$m", "$=w", ".D", ".C", "/canon ",
     "/map ", "#", "check_relay ", "check_mail ", "check_rcpt "],
)
def test_corpus_uses_command(command: str) -> None:
    """Every kind of -bt command appears in the corpus."""
    assert any(line.lstrip().startswith(command) for line in btcompare.distinct_input_lines())


def test_known_differences_parse() -> None:
    """KNOWN_DIFFERENCES.md exists and every listed id names a cf that exists."""
    assert btcompare.KNOWN_DIFFERENCES.exists()
    names = btcompare.cf_names()
    for pattern in btcompare.load_known_differences():
        cf = pattern.split(":", 1)[0]
        assert cf == "*" or cf in names, f"{pattern}: no cf named {cf!r}"


@pytest.mark.parametrize("cf_name", btcompare.cf_names())
def test_bt_matches_sendmail(
    cf_name: str,
    bt_programs: dict[str, oracle.Program],
    bt_work_root: Path,
    agreement_table: list[btcompare.CfResult],
) -> None:
    """Run all sessions of one cf under both programs and compare them section by section."""
    spec = next(spec for spec in btcompare.cf_specs() if spec.name == cf_name)
    known = btcompare.load_known_differences()
    try:
        result = btcompare.compare_cf(spec, bt_work_root, bt_programs, known)
    except oracle.OracleError as error:
        result, setup_error = None, str(error)
    if result is None:
        pytest.fail(f"setting up {cf_name}: {setup_error}", pytrace=False)
    agreement_table.append(result)
    problems = result.failures(MIN_TRACE_RATIO)
    if problems:
        message = [result.summary(), *problems, "", result.first_diffs(DIFFS_SHOWN)]
        pytest.fail("\n".join(message), pytrace=False)
