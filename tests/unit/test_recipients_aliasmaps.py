"""monomail.aliases.aliasmaps: AliasFile becomes Alias0.. maps and aliases.files, as
sendmail's setalias makes them (what -bt's /map and recipient processing read)."""

from __future__ import annotations

import io
import shutil
import uuid
from pathlib import Path
from typing import Iterator

import oracle
import pytest

from monomail.aliases.aliasmaps import alias_file_maps
from monomail.aliases.newaliases import main as newaliases
from monomail.config.cfparser import parse_cf
from monomail.maps.seqmap import SequenceMap
from monomail.rewrite.testmode import AddressTestSession


@pytest.fixture
def folder() -> Iterator[Path]:
    path = oracle.safe_work_root() / "aliasmaps" / uuid.uuid4().hex
    path.mkdir(parents=True)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def cf_text(alias_files: str) -> str:
    return ("V10/Berkeley\nDjmail.example.com\n"
            f"O AliasFile={alias_files}\nO ServiceSwitchFile=/nonexistent\n"
            "Mlocal, P=/bin/true, F=lsDFMA5:/|@, A=mail $u\n")


def test_maps_in_order_and_refusals() -> None:
    maps, errors = alias_file_maps(["/a", "hash:/b", "text:/c", "bogus:/d", "ldap:-k x"],
                                   "test.cf: line 3")
    assert [(name, m.mclass) for name, m in maps.items()] == [
        ("Alias0", "implicit"), ("Alias1", "hash"), ("Alias2", "text"),
        ("aliases.files", "sequence")]
    sequence = maps["aliases.files"]
    assert isinstance(sequence, SequenceMap)
    assert sequence.member_names == ["Alias0", "Alias1", "Alias2"]
    assert errors[0] == "setalias: unknown alias class bogus"
    assert "ldap" in errors[1] and "not supported" in errors[1]


def test_lookups_through_the_aliases_map(folder: Path) -> None:
    (folder / "first").write_text("staff: alice, bob\n")
    (folder / "second").write_text("staff: shadowed\nextra: carol\n")
    assert newaliases([str(folder / "first")], io.StringIO()) == 0
    config = parse_cf("test.cf", text=cf_text(f"{folder}/first, {folder}/second"))
    out = io.StringIO()
    session = AddressTestSession(config, out.write)
    for line in ("/map aliases staff", "/map aliases extra", "/map Alias1 staff",
                 "/map aliases none"):
        session.command(line)
    assert out.getvalue().splitlines() == [
        "map_lookup: aliases (staff) returns alice, bob (0)",
        "map_lookup: aliases (extra) returns carol (0)",
        "map_lookup: Alias1 (staff) returns shadowed (0)",
        "map_lookup: aliases (none) no match (68)"]


def test_a_bad_spec_is_reported_by_the_cf_reader() -> None:
    config = parse_cf("test.cf", text=cf_text("nosuchclass:/x"))
    assert "setalias: unknown alias class nosuchclass" in config.errors
