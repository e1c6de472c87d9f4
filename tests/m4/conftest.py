"""Fixtures of the m4 library tests: the settings folder (hosts, classes, maps) every test .mc reads."""

from __future__ import annotations

from pathlib import Path

import pytest

import mcdiff


@pytest.fixture(scope="session")
def mc_settings(sendmail, bt_work_root: Path) -> Path:
    """data/settings with its maps built by sendmail's makemap (the oracle reads both cfs)."""
    return mcdiff.make_settings(bt_work_root / "m4-settings")
