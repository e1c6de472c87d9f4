"""The [monomail] local mailer: its A= contract (m4/README.md), users, F=z and F=n, and the
example cfs' local mailers delivering for real."""

from __future__ import annotations

import mailbox
import os
from dataclasses import replace
from pathlib import Path

import pytest

from deliver_support import GID, UID, mailers, require_root, settings
from monomail import sysexits as ex
from monomail.config.cfparser import parse_cf
from monomail.deliver.agents import deliver, handles
from monomail.deliver.job import Account, Job, Recipient
from monomail.deliver.local import CommandError, parse_command

REPO = Path(__file__).resolve().parents[2]
MESSAGE = b"From: ann@example.org\nSubject: hi\n\nFrom the body\n"
LOCAL_FLAGS = "lsDFMAw5:/|@qPmnz9"


def local(args: str, flags: str = LOCAL_FLAGS):
    return mailers(f"Mlocal, P=[monomail], F={flags}, A={args}\n")["local"]


def accounts(home: Path) -> dict[str, Account]:
    uid, gid = (UID, GID) if os.geteuid() == 0 else (os.geteuid(), os.getegid())
    return {name: Account(name, uid, gid, str(home / name)) for name in ("ann", "bob")}


async def run(mailer, users, tmp_path: Path, message: bytes = MESSAGE, **kw):
    job = Job(mailer, "joe@example.com", tuple(Recipient(u) for u in users), message)
    return await deliver(job, settings(accounts(tmp_path), **kw))


@pytest.mark.parametrize("words, problem", [
    (("mbx",), "must start with mbox or maildir"),
    (("mbox", "-x"), "unknown word '-x'"),
    (("mbox", "spool"), "unknown word 'spool'"),
    (("maildir", "-d"), "-d needs a value"),
])
def test_bad_command_words(words: tuple[str, ...], problem: str) -> None:
    with pytest.raises(CommandError, match=problem):
        parse_command(words, ("ann",), ())


def test_command_words() -> None:
    assert parse_command(("maildir", "-d", "/srv/mail", "-rjoe"), ("ann", "bob"), ()) == \
        parse_command(("maildir", "-d/srv/mail", "-f", "joe"), ("ann", "bob"), ())
    with pytest.raises(CommandError, match="words after"):
        parse_command(("mbox",), ("ann",), ("extra",))


async def test_bad_a_equate_fails_every_recipient_as_a_config_error(tmp_path: Path) -> None:
    outcomes = await run(local("mbox -q $u"), ["ann", "bob"], tmp_path)
    assert [o.exit for o in outcomes] == [ex.EX_CONFIG] * 2
    assert "mailer local: unknown word '-q'" in outcomes[0].text
    assert not outcomes[0].retry


async def test_mbox_users_get_their_own_status_with_z(tmp_path: Path) -> None:
    mailer = local(f"mbox -d {tmp_path} $u")
    ann, nobody, bob = await run(mailer, ["ann", "nobody-here", "bob+lists"], tmp_path)
    assert ann.ok and bob.ok
    assert (nobody.exit, nobody.dsn, nobody.text) == (ex.EX_NOUSER, "5.1.1", "User unknown")
    assert nobody.transcript == "550 5.1.1 nobody-here... User unknown"
    for name in ("ann", "bob"):
        (stored,) = mailbox.mbox(str(tmp_path / name))
        assert stored.get_from().startswith("joe@example.com ")
        assert stored.get_payload() == ">From the body\n"


async def test_without_z_one_status_for_all_as_mail_local_gives(tmp_path: Path) -> None:
    mailer = local(f"mbox -d {tmp_path} $u", flags="lsDFMAw5:/|@qPmn9")
    outcomes = await run(mailer, ["ann", "nobody-here"], tmp_path)
    assert [o.exit for o in outcomes] == [ex.EX_NOUSER] * 2
    assert (tmp_path / "ann").exists()  # delivered all the same, as mail.local does


async def test_maildir_in_home_given_to_the_user(tmp_path: Path) -> None:
    require_root()
    (tmp_path / "ann").mkdir()
    (outcome,) = await run(local("maildir $u"), ["ann"], tmp_path)
    assert outcome.ok, outcome
    box = tmp_path / "ann" / "Maildir"
    assert box.stat().st_uid == UID
    (stored,) = mailbox.Maildir(str(box), create=False)
    assert stored["subject"] == "hi"


async def test_maildir_under_d_folder(tmp_path: Path) -> None:
    (outcome,) = await run(local(f"maildir -d {tmp_path}/spool $u"), ["ann"], tmp_path,
                           privileged=False)
    assert not outcome.ok and outcome.retry  # the -d folder itself is not made
    (tmp_path / "spool").mkdir()
    (outcome,) = await run(local(f"maildir -d {tmp_path}/spool $u"), ["ann"], tmp_path,
                           privileged=False)
    assert outcome.ok
    assert len(mailbox.Maildir(str(tmp_path / "spool/ann"), create=False)) == 1


async def test_routers_from_line_is_the_separator_without_n(tmp_path: Path) -> None:
    mailer = local(f"mbox -d {tmp_path} $u", flags="lsDFMAw5:/|@qPmz9")
    message = b"From someone@example.net  Sat Nov 21 10:00:00 2026\r\n" + MESSAGE
    (outcome,) = await run(mailer, ["ann"], tmp_path, message)
    assert outcome.ok
    (stored,) = mailbox.mbox(str(tmp_path / "ann"))
    assert stored.get_from() == "someone@example.net  Sat Nov 21 10:00:00 2026"
    assert stored["subject"] == "hi"
    md = local(f"maildir -d {tmp_path} $u", flags="lsDFMAw5:/|@qPmz9")
    (outcome,) = await run(md, ["bob"], tmp_path, message)
    (stored,) = mailbox.Maildir(str(tmp_path / "bob"), create=False)
    assert stored.as_bytes().startswith(b"From: ann@example.org\n")


async def test_f_word_names_the_from_line_sender(tmp_path: Path) -> None:
    (outcome,) = await run(local(f"mbox -f postmaster -d {tmp_path} $u"), ["ann"], tmp_path)
    assert outcome.ok
    (stored,) = mailbox.mbox(str(tmp_path / "ann"))
    assert stored.get_from().startswith("postmaster ")


async def test_only_the_passwd_mailbox_database(tmp_path: Path) -> None:
    (outcome,) = await run(local(f"mbox -d {tmp_path} $u"), ["ann"], tmp_path,
                           mailbox_database="ldap")
    assert outcome.exit == ex.EX_CONFIG and "MailboxDatabase=ldap" in outcome.text


async def test_user_without_home(tmp_path: Path) -> None:
    job = Job(local("maildir $u"), "joe", (Recipient("ann"),), MESSAGE)
    (outcome,) = await deliver(job, settings({"ann": Account("ann", UID, GID, "")}))
    assert (outcome.exit, outcome.dsn) == (ex.EX_UNAVAILABLE, "5.1.1")


@pytest.mark.parametrize("name", ["../ann", ".ann", ""])
async def test_names_that_are_no_mailbox(tmp_path: Path, name: str) -> None:
    (outcome,) = await run(local(f"mbox -d {tmp_path} $u"), [name], tmp_path)
    assert outcome.exit == ex.EX_NOUSER


async def test_quickstart_local_mailer_delivers_as_an_ordinary_user(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """examples/quickstart.cf: `A=maildir -d spool/mail $u`, relative to where monomail runs."""
    config = parse_cf(str(REPO / "examples/quickstart.cf"))
    mailer = config.mailer("local")
    assert (mailer.path, mailer.argv[0]) == ("[monomail]", "maildir") and handles(mailer)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "spool/mail").mkdir(parents=True)
    job = Job(mailer, "joe@localhost.localdomain", (Recipient("ann"),), MESSAGE)
    (outcome,) = await deliver(job, settings(accounts(tmp_path), privileged=False))
    assert outcome.ok
    (stored,) = mailbox.Maildir(str(tmp_path / "spool/mail/ann"), create=False)
    assert stored["subject"] == "hi"
    assert (tmp_path / "spool/mail/ann").stat().st_uid == os.geteuid()


async def test_monomail_example_cf_local_mailer_uses_home_maildirs(tmp_path: Path) -> None:
    require_root()
    mailer = parse_cf(str(REPO / "examples/monomail.cf")).mailer("local")
    (tmp_path / "bob").mkdir()
    job = Job(replace(mailer), "joe@example.com", (Recipient("bob"),), MESSAGE)
    (outcome,) = await deliver(job, settings(accounts(tmp_path)))
    assert outcome.ok
    assert len(mailbox.Maildir(str(tmp_path / "bob/Maildir"), create=False)) == 1
