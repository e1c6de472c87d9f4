"""monomail.aliases.users: finduser, full names from GECOS, valid shells."""

from __future__ import annotations

from monomail import sysexits as ex
from monomail.aliases.users import (DEFAULT_SHELLS, WILDCARD_SHELL, User, finduser,
                                    pwfullname, read_shells, usershellok)
from test_recipients_expand import TableUsers

ALICE = User("alice", 2001, 2001, "Alice Liddell", "/home/alice", "/bin/sh")
BOB = User("bob", 2002, 2002, "Bobby", "/home/bob", "/usr/sbin/nologin")
USERS = TableUsers([ALICE, BOB], shells=["/bin/sh", "/bin/bash"])


def test_pwfullname() -> None:
    assert pwfullname("Alice Liddell,Room 1,555", "alice") == "Alice Liddell"
    assert pwfullname("*& Smith;x", "jane") == "Jane Smith"
    assert pwfullname("100% sure", "x") == "100"
    assert pwfullname("y" * 300, "long") == "long"


def test_read_shells() -> None:
    assert read_shells("# comment\n/bin/sh\n  /bin/bash # login\nnot a shell\n") == \
        ["/bin/sh", "/bin/bash"]
    assert read_shells(None) == list(DEFAULT_SHELLS)


def test_finduser_exact_and_folded() -> None:
    said: list[str] = []
    assert finduser("alice", USERS, False, ".", said.append).user == ALICE
    folded = finduser("ALICE", USERS, False, ".", said.append)
    assert (folded.status, folded.user, folded.fuzzy) == (ex.EX_OK, ALICE, True)
    assert finduser("nobody", USERS, False, ".", said.append).status == ex.EX_NOUSER
    assert said == []


def test_finduser_by_full_name() -> None:
    said: list[str] = []
    assert finduser("Alice.Liddell", USERS, False, ".", said.append).status == ex.EX_NOUSER
    for name in ("Alice.Liddell", "alice_liddell"):
        found = finduser(name, USERS, True, ".", said.append)
        assert (found.user, found.fuzzy) == (ALICE, True)
    assert said == ["sending to login name alice"] * 2
    assert finduser("Bobby", USERS, True, ".", said.append).status == ex.EX_NOUSER  # no blank


def test_usershellok() -> None:
    assert usershellok("alice", ALICE.shell, USERS, False, 10)
    assert not usershellok("bob", BOB.shell, USERS, False, 10)
    assert usershellok("bob", BOB.shell, USERS, True, 10)      # a trusted user (class t)
    assert usershellok("bob", BOB.shell, USERS, False, 1)      # old cfs do not check
    assert usershellok("bob", "", USERS, False, 10)
    anything = TableUsers([], shells=[WILDCARD_SHELL])
    assert usershellok("bob", BOB.shell, anything, False, 10)
