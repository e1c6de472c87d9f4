"""monomail.aliases.expand: recipient lists expanded as sendmail's recipient() does.

The cf is examples/quickstart.cf (monomail's own m4), the aliases a text file in a safe
folder, the users a table (TableUsers) whose uid is this process's, so .forward files
made here pass sendmail's ownership checks whether the tests run as root or not.  The
settings act as sendmail running as root.  tests/compat/test_bv_differential.py checks
the same code against real sendmail.
"""

from __future__ import annotations

import io
import os
import shutil
import uuid
from pathlib import Path
from typing import Iterable, Iterator

import oracle
import pytest

from monomail import sysexits as ex
from monomail.aliases.address import (QEXPANDED, QPRIMARY, QS_BADADDR, QS_DONTSEND,
                                      QS_EXPANDED, QS_INCLUDED, QS_OK, QS_VERIFIED)
from monomail.aliases.expand import Expansion, RecipientList, expand, verify_one
from monomail.aliases.newaliases import main as newaliases
from monomail.aliases.policy import Identity, Settings, settings
from monomail.aliases.users import User
from monomail.config.cfparser import parse_cf
from monomail.clib import shortenstring
from monomail.config.model import Config

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "examples" / "quickstart.cf"
AS_ROOT = Identity(real_uid=0, euid=0, run_as_uid=0, def_uid=1, def_gid=1, def_user="daemon")


class TableUsers:
    """A password database in memory (UserDatabase)."""

    def __init__(self, users: Iterable[User], shells: Iterable[str] = ("/bin/sh",)) -> None:
        self.users = {u.name: u for u in users}
        self.valid_shells = list(shells)

    def by_name(self, name: str) -> User | None:
        return self.users.get(name)

    def by_uid(self, uid: int) -> User | None:
        return next((u for u in self.users.values() if u.uid == uid), None)

    def every_user(self) -> Iterable[User]:
        return list(self.users.values())

    def shells(self) -> list[str]:
        return self.valid_shells

    def group_members(self, gid: int) -> list[str] | None:
        return None

    def group_list(self, user: str, gid: int) -> list[int]:
        return [gid]


@pytest.fixture
def folder() -> Iterator[Path]:
    """A folder sendmail's checks accept: no group- or world-writable parent (not /tmp)."""
    path = oracle.safe_work_root() / "recipients" / uuid.uuid4().hex
    path.mkdir(parents=True)
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


class World:
    """A cf, an alias file and users with homes under one folder."""

    def __init__(self, folder: Path, aliases: str = "", options: tuple[str, ...] = ()) -> None:
        self.folder = folder
        (folder / "aliases").write_text(aliases.replace("{dir}", str(folder)))
        assert newaliases([str(folder / "aliases")], io.StringIO()) == ex.EX_OK
        text = QUICKSTART.read_text().replace("O AliasFile=./aliases",
                                              f"O AliasFile={folder}/aliases")
        self.config: Config = parse_cf(str(QUICKSTART), text=text, command_line=options)
        me = os.getuid()
        self.users = TableUsers([
            self.user("root", 0, "root", "/bin/sh"), self.user("daemon", 1, "daemon", ""),
            self.user("alice", me, "Alice Liddell"), self.user("bob", me, "Bob, Room 5"),
            self.user("carol", me, "Carol", "/usr/sbin/nologin"),
        ])
        self.notices: list[str] = []

    def user(self, name: str, uid: int, fullname: str, shell: str = "/bin/sh") -> User:
        home = self.folder / "home" / name
        home.mkdir(parents=True, exist_ok=True)
        return User(name, uid, uid, fullname.split(",")[0], str(home), shell)

    def forward(self, name: str, text: str, mode: int = 0o644) -> Path:
        path = self.folder / "home" / name / ".forward"
        path.write_text(text.replace("{dir}", str(self.folder)))
        path.chmod(mode)
        return path

    def settings(self, **overrides: object) -> Settings:
        return settings(self.config, AS_ROOT, **overrides)

    def expand(self, *addresses: str, sender: str | None = "root",
               **overrides: object) -> Expansion:
        return expand(self.config, list(addresses), sender=sender,
                      settings=self.settings(**overrides), users=self.users,
                      sink=self.notices.append)


def where(path: object) -> str:
    """A file name as sendmail's messages show it (long ones shortened in the middle)."""
    return shortenstring(str(path), 83)


def deliverable(expansion: Expansion) -> list[tuple[str, str, str]]:
    return [(q.mailer_name, q.host, q.user) for q in expansion.deliverable]


def test_local_and_remote_recipients(folder: Path) -> None:
    world = World(folder)
    result = world.expand("alice", "joe@example.net")
    assert deliverable(result) == [("local", "", "alice"),
                                   ("esmtp", "example.net", "joe@example.net")]
    assert result.exit_status == ex.EX_OK and result.errors == 0
    assert all(q.flags & QPRIMARY for q in result.deliverable)


def test_unknown_user_fails_with_5_1_1(folder: Path) -> None:
    world = World(folder)
    result = world.expand("nosuchuser")
    [failed] = result.failed
    assert (failed.status, failed.rstatus, failed.message) == \
        ("5.1.1", "550 5.1.1 User unknown", "User unknown")
    assert result.exit_status == ex.EX_NOUSER
    assert [n.reply for n in result.notices] == ["550 5.1.1 nosuchuser... User unknown"]
    assert world.notices == ["nosuchuser... User unknown"]


def test_alias_list_expanded_last_member_first(folder: Path) -> None:
    world = World(folder, "staff: alice, joe@example.net, nosuchuser, bob\n")
    result = world.expand("staff", verbose=1)
    assert world.notices == ["staff... aliased to alice, joe@example.net, nosuchuser, bob",
                             "nosuchuser... User unknown"]
    assert deliverable(result) == [("local", "", "bob"), ("local", "", "alice"),
                                   ("esmtp", "example.net", "joe@example.net")]
    [staff] = [q for q in result.sendq if q.paddr == "staff"]
    assert staff.state == QS_EXPANDED and staff.flags & QEXPANDED
    assert [a.paddr for a in result.deliverable[0].chain()] == ["bob", "staff"]


def test_duplicates_from_an_expansion_are_suppressed(folder: Path) -> None:
    world = World(folder, "team: alice, bob\n")
    result = world.expand("team", "alice", "ALICE", verbose=1)
    assert deliverable(result) == [("local", "", "bob"), ("local", "", "alice")]
    # announced for the address from the list; a repeated argument is dropped silently
    assert world.notices == ["team... aliased to alice, bob", "alice... duplicate suppressed"]


def test_alias_loop_is_broken(folder: Path) -> None:
    world = World(folder, "loop1: loop2\nloop2: loop1\n")
    result = world.expand("loop1")
    assert world.notices == ["aliasing/forwarding loop broken"]
    assert result.failed[0].status == "5.4.6"


def test_alias_recursion_limit(folder: Path) -> None:
    chain = "".join(f"a{n}: a{n + 1}\n" for n in range(6)) + "a6: alice\n"
    world = World(folder, chain)
    world.expand("a0", max_alias_recursion=3)
    assert world.notices == ["aliasing/forwarding loop broken (4 aliases deep; 3 max)"]


def test_programs_and_files_only_through_aliases(folder: Path) -> None:
    world = World(folder, 'pipe: "|/bin/cat"\narchive: /var/tmp/archive\n')
    result = world.expand("pipe", "archive")
    assert deliverable(result) == [("prog", "", "|/bin/cat"), ("*file*", "", "/var/tmp/archive")]
    direct = World(folder).expand('"|/bin/cat"', "/var/tmp/x")
    assert [q.status for q in direct.failed] == ["5.7.1", "5.7.1"]
    assert direct.exit_status == ex.EX_OK and direct.errors == 2


def test_include_file(folder: Path) -> None:
    (folder / "list.inc").write_text("alice\n# comment\nbob, joe@example.net #@# note\n")
    (folder / "list.inc").chmod(0o644)
    world = World(folder, "list: :include:{dir}/list.inc\n")
    result = world.expand("list", verbose=1)
    inc = f"{folder}/list.inc"
    assert world.notices == [f"list... aliased to :include:{inc}",
                             f":include:{inc}... including file {inc}",
                             f"{where(inc)}: line 1: sending to alice",
                             f"{where(inc)}: line 3: sending to bob, joe@example.net"]
    assert [q.state for q in result.sendq if q.mailer_name == "*include*"] == [QS_DONTSEND]
    assert {q.user for q in result.deliverable} == {"alice", "bob", "joe@example.net"}


def test_missing_include_file(folder: Path) -> None:
    world = World(folder, "list: :include:{dir}/none.inc\n")
    result = world.expand("list")
    assert world.notices == [f":include:{folder}/none.inc... Cannot open {folder}/none.inc: "
                             "No such file or directory"]
    assert result.failed[0].status == "5.2.4"


def test_include_directly_is_refused(folder: Path) -> None:
    world = World(folder)
    result = world.expand(":include:/etc/passwd")
    assert world.notices == [":include:/etc/passwd... Cannot mail directly to :include:s"]
    assert result.failed[0].state == QS_BADADDR


def test_owner_alias_splits_the_envelope(folder: Path) -> None:
    world = World(folder, "staff: alice, bob\nowner-staff: carol\n"
                          'sales: joe@example.net\nowner-sales: "|/bin/x"\n')
    result = world.expand("root", "staff", "sales")
    owners = [(e.owner, [q.user for q in e.recipients]) for e in result.envelopes]
    # the envelopes split off last are sent first (sendmail's splitenv list)
    assert owners == [(None, ["root"]), ("carol", ["bob", "alice"]),
                      ("owner-sales", ["joe@example.net"])]


def test_forward_file(folder: Path) -> None:
    world = World(folder)
    world.forward("alice", "alice@example.net, \\alice\n")
    result = world.expand("alice")
    assert deliverable(result) == [("local", "", "\\alice"),
                                   ("esmtp", "example.net", "alice@example.net")]


def test_group_writable_forward_is_ignored(folder: Path) -> None:
    world = World(folder)
    path = world.forward("bob", "elsewhere@example.net\n", 0o664)
    result = world.expand("bob", verbose=1)
    assert deliverable(result) == [("local", "", "bob")]
    assert world.notices == [f"bob... forward: {path}: Group writable file"]


def test_forward_programs_need_a_valid_shell(folder: Path) -> None:
    world = World(folder)
    path = world.forward("carol", '"|/bin/prog"\n')
    result = world.expand("carol")
    assert world.notices == [f'{where(path)}: line 1: "|/bin/prog"... User '
                             "carol@localhost.localdomain doesn't have a valid shell for "
                             "mailing to programs"]
    assert result.failed[0].status == "5.7.1"


def test_forward_programs_are_unsafe_without_root(folder: Path) -> None:
    world = World(folder)
    world.forward("alice", '"|/bin/prog"\n')
    not_root = Identity(real_uid=1000, euid=1000, run_as_uid=1000, def_uid=1, def_gid=1,
                        def_user="daemon")
    result = expand(world.config, ["alice"], settings=settings(world.config, not_root),
                    users=world.users, sink=world.notices.append)
    assert world.notices[-1].endswith('"|/bin/prog"... Address alice is unsafe for mailing '
                                      "to programs")
    assert result.failed[0].rstatus == "550 Unsafe for mailing to programs"


def test_verify_only_stops_at_the_alias(folder: Path) -> None:
    world = World(folder, "staff: nosuchuser\n")
    world.forward("alice", "elsewhere@example.net\n")
    result = world.expand("staff", "alice", verify_only=True)
    assert [(q.paddr, q.state) for q in result.sendq] == [("staff", QS_VERIFIED),
                                                         ("alice", QS_VERIFIED)]


def test_verify_one_replies_as_rcpt(folder: Path) -> None:
    world = World(folder, "staff: nosuchuser\n")
    check = lambda addr: verify_one(world.config, addr, users=world.users,  # noqa: E731
                                    settings=world.settings(verify_only=True))
    assert check("<staff@localhost.localdomain>").ok
    verdict = check("<nobody-here@localhost.localdomain>")
    assert (verdict.ok, verdict.reply) == \
        (False, "550 5.1.1 <nobody-here@localhost.localdomain>... User unknown")
    assert check("<joe@example.net>").reply == "250 2.1.5 Recipient ok"


def test_rcpt_list_keeps_one_envelope(folder: Path) -> None:
    world = World(folder)
    rcpts = RecipientList(world.config, world.settings(verify_only=True), users=world.users)
    assert rcpts.add_rcpt("<alice@localhost.localdomain>").ok
    assert rcpts.add_rcpt("<Alice@localhost.localdomain>").ok
    assert [q.user for q in rcpts.sendq] == ["alice"]


def test_rcpt_parsing_stops_before_parameters(folder: Path) -> None:
    world = World(folder)
    rcpts = RecipientList(world.config, world.settings(verify_only=True), users=world.users)
    text = "<alice@localhost.localdomain> NOTIFY=NEVER"
    item, end = rcpts.parse_rcpt(text)
    assert item is not None and (item.user, text[end:]) == ("alice", " NOTIFY=NEVER")
    assert rcpts.accept(item).ok
    assert rcpts.add_rcpt("").reply == "501 5.0.0 Missing recipient"
    assert rcpts.add_rcpt("<a<b>").reply == "553 5.0.0 <a<b>... Unbalanced '<'"


def test_match_gecos(folder: Path) -> None:
    world = World(folder, options=(" MatchGECOS=True",))
    result = world.expand("Alice.Liddell", verbose=1)
    assert deliverable(result) == [("local", "", "alice")]
    assert world.notices == ["Alice.Liddell... sending to login name alice"]
    assert World(folder).expand("Alice.Liddell").failed


def test_me_too_off_removes_the_sender_from_lists(folder: Path) -> None:
    world = World(folder, "team: root, alice\n")
    assert deliverable(world.expand("team", me_too=False)) == [("local", "", "alice")]
    assert deliverable(world.expand("team")) == [("local", "", "alice"), ("local", "", "root")]


def test_blank_separated_lists_in_old_style(folder: Path) -> None:
    world = World(folder)
    assert len(world.expand("alice bob", old_style=True).deliverable) == 2
    assert world.expand("alice bob", old_style=False).failed[0].paddr == "alice bob"


def test_states_after_expansion(folder: Path) -> None:
    world = World(folder, "one: alice\n")
    result = world.expand("one")
    [alice] = result.deliverable
    assert alice.state == QS_OK and alice.flags & QPRIMARY   # the only result is primary
    assert alice.finalrcpt == "RFC822; one@localhost.localdomain"   # the sender's mailer's T=
    assert QS_INCLUDED not in [q.state for q in result.sendq]


def test_too_many_hops_fails_every_recipient(folder: Path) -> None:
    world = World(folder, "team: alice, bob\n")
    rcpts = RecipientList(world.config, world.settings(), users=world.users,
                          sink=world.notices.append)
    rcpts.set_sender("root")
    rcpts.add("team, joe@example.net")
    result = rcpts.finish(hop_count=26, relay="relay.example.net")
    assert world.notices == ["Too many hops 26 (25 max): from root via relay.example.net, "
                             "to team"]   # the first address in the queue, even dead
    assert {(q.status, q.rstatus) for q in result.failed} == {("5.4.6",
                                                               "554 5.4.6 Too many hops")}
    assert len(result.failed) == 3 and result.exit_status == ex.EX_UNAVAILABLE
    at_limit = RecipientList(world.config, world.settings(), users=world.users)
    at_limit.add("team")
    assert not at_limit.finish(hop_count=25).failed


def test_sorted_by_host_signature(folder: Path) -> None:
    """With sort="signature" (sendmail's sortbysignature), addresses that share a
    signature (the same MX hosts) sit together, users in reverse order among them."""
    world = World(folder)
    mx = {"a.example": "mx.example", "b.example": "mx.example", "c.example": "c.example"}
    rcpts = RecipientList(world.config, world.settings(sort="signature"), users=world.users,
                          signature=lambda q: mx.get(q.host, "localhost"))
    rcpts.add("x@c.example, y@a.example, z@b.example, alice")
    assert [q.user for q in rcpts.finish().deliverable] == \
        ["x@c.example", "alice", "z@b.example", "y@a.example"]
