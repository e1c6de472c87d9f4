"""The daemon's process duties: pid file, privilege drop, config reload, signals."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from monomail.config.option_values import UserSpec
from monomail.daemon.configholder import ConfigHolder, ReloadError, load
from monomail.daemon.lifecycle import Signals
from monomail.daemon.pidfile import PidFile, PidFileError
from monomail.daemon.privileges import drop_to, resolve

GOOD_CF = "V10/Berkeley\nDjmail.example.com\nMlocal, P=/bin/true, A=mail $u\nS0\nR$+\t$#local $: $1\n"


def test_pid_file_is_sendmails_two_lines_locked_and_removed(tmp_path: Path) -> None:
    path = tmp_path / "sendmail.pid"
    first = PidFile(str(path))
    first.write("/usr/sbin/sendmail -bd -q30m")
    assert path.read_text() == f"{os.getpid()}\n/usr/sbin/sendmail -bd -q30m\n"
    with pytest.raises(PidFileError, match="file in use by another process"):
        PidFile(str(path)).write("second daemon")
    first.remove()
    assert not path.exists()


def test_pid_file_refuses_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(OSError):
        PidFile(str(tmp_path / "link")).write("x")
    assert not (tmp_path / "elsewhere").exists()


def test_run_as_user_resolution() -> None:
    assert resolve(UserSpec("0", None)) == (0, 0)
    assert resolve(UserSpec("root", "0")) == (0, 0)
    assert resolve(UserSpec("12345", "99")) == (12345, 99)
    assert drop_to(None) is None


def test_reload_swaps_only_a_clean_cf(tmp_path: Path) -> None:
    cf = tmp_path / "t.cf"
    cf.write_text(GOOD_CF)
    holder = ConfigHolder(str(cf), (), "d", load(str(cf), (), "d", 0))
    cf.write_text(GOOD_CF.replace("Djmail", "Djother"))
    fresh = asyncio.run(holder.reload())
    assert holder.current is fresh and fresh.generation == 1
    cf.write_text(GOOD_CF + "Xbroken\nR$+\n")
    with pytest.raises(ReloadError, match="t.cf: line"):
        asyncio.run(holder.reload())
    assert holder.current is fresh


def test_signals_set_events() -> None:
    async def scenario() -> tuple[bool, bool]:
        state = Signals()
        loop = asyncio.get_running_loop()
        state.install(loop)
        try:
            os.kill(os.getpid(), signal.SIGHUP)
            await asyncio.wait_for(state.reload.wait(), 5)
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.wait_for(state.stop.wait(), 5)
        finally:
            state.uninstall(loop)
        return state.reload.is_set(), state.stop.is_set()
    assert asyncio.run(scenario()) == (True, True)
