"""From an address string to (mailer, host, user): sendmail's parseaddr and buildaddr.

Ruleset 3 then 0 pick the mailer triple; the user part then goes through
ruleset 2, the mailer's R= ruleset and ruleset 4, as sendmail does for recipients.
"""

from __future__ import annotations

from dataclasses import dataclass

from monomail import sysexits as ex
from monomail.config.model import Mailer
from monomail.dsn.status import dsn_to_exit, is_enhanced
from .addrutil import cataddr, lower, stripquotes
from .engine import Rewriter
from .env import RewriteEnv, format_error
from .prescan import PSBUFSIZE, prescan
from .tokens import CANONHOST, CANONNET, CANONUSER, MAXATOM, MAXNAME

RF_SENDERADDR = 0o1
RF_HEADERADDR = 0o2
RF_CANONICAL = 0o4  # strip comment information
RF_ADDDOMAIN = 0o10  # append the sender's domain to addresses without one
ERROR_MAILER = "*error*"
ERROR_CODES = {"usage": ex.EX_USAGE, "nouser": ex.EX_NOUSER, "nohost": ex.EX_NOHOST,
               "unavailable": ex.EX_UNAVAILABLE, "software": ex.EX_SOFTWARE,
               "tempfail": ex.EX_TEMPFAIL, "protocol": ex.EX_PROTOCOL,
               "config": ex.EX_CONFIG}


@dataclass
class Address:
    """The parts of sendmail's ADDRESS that routing needs."""

    mailer: str
    host: str | None
    user: str
    bad: bool = False
    queue_up: bool = False
    status: str | None = None
    exit_status: int = ex.EX_OK
    queue_group: str | None = None
    not_remote: bool = False   # a leading '@' for an M=@ mailer: no ruleset 5, no UDB


def invalidaddr(env: RewriteEnv, addr: str, isrcpt: bool) -> bool:
    """8-bit characters or over-long addresses: sendmail refuses them before parsing."""
    if len(addr) > MAXNAME - 1:
        head = addr[:MAXNAME - 1]
        to = head if env.to is not None else ""
        env.usrerr(f'553 5.1.0 Address "{head}" too long ({MAXNAME - 1} bytes max)', to)
        return True
    if any((ord(ch) & 0o340) == 0o200 for ch in addr):
        shown = "".join("?" if (ord(ch) & 0o340) == 0o200 else ch for ch in addr)
        code = "5.1.3" if isrcpt else "5.1.7"
        env.setstat(ex.EX_USAGE)
        env.usrerr(f'501 {code} 8-bit character in mailbox address "{shown}"')
        return True
    return False


def parseaddr(rw: Rewriter, env: RewriteEnv, addr: str, flags: int,
              isrcpt: bool = True) -> Address | None:
    env.to = addr
    tokens, _ = prescan(addr, "\0", env.tables.external, usrerr=env.usrerr)
    if tokens is None or invalidaddr(env, addr, isrcpt):
        return None
    return parse_tokens(rw, env, addr, tokens, flags, isrcpt)


def parse_tokens(rw: Rewriter, env: RewriteEnv, addr: str, tokens: list[str], flags: int,
                 isrcpt: bool = True) -> Address:
    """parseaddr after prescan: for callers that scanned a list themselves (sendtolist
    stops at the list's delimiter) and must not see prescan's complaints twice."""
    queue_up = False
    if rw.rewrite(tokens, 3, env) == ex.EX_TEMPFAIL:
        queue_up = True
    if rw.rewrite(tokens, 0, env) == ex.EX_TEMPFAIL:
        queue_up = True
    a = buildaddr(rw, env, tokens, flags)
    bad, a.user = hasctrlchar(env, a.user, isrcpt)
    if bad:
        a.bad = True
    if not a.bad and not flags & (RF_SENDERADDR | RF_HEADERADDR):
        a.queue_group = queue_group(rw, env, a.user)
    if not a.bad and queue_up:
        env.message(format_error("050 Transient parse error -- message queued for future "
                                 "delivery", addr))
        a.queue_up, a.status = True, "4.4.3"
    return a


def queue_group(rw: Rewriter, env: RewriteEnv, user: str) -> str | None:
    """The cf's queuegroup ruleset picks a recipient's queue group ($# name)."""
    number = rw.find_ruleset("queuegroup")
    if number < 0:
        return None
    saved, env.suppress_errors = env.suppress_errors, True
    tokens, _ = prescan(user, "\0", env.tables.internal, usrerr=env.usrerr)
    env.suppress_errors = saved
    if tokens is None:
        return None
    rw.rewrite(tokens, number, env, 0, PSBUFSIZE)
    if len(tokens) > 1 and tokens[0][:1] == CANONNET and tokens[1]:
        return tokens[1]
    return None


def hasctrlchar(env: RewriteEnv, user: str, isrcpt: bool) -> tuple[bool, str]:
    """Control characters outside quotes, a trailing backslash or an open quote are
    reported; sendmail repairs the address in place with '?' and so do we."""
    result = None
    quoted = False
    chars = list(user)
    i = 0
    while i < len(chars):
        ch = chars[i]
        if not quoted and (ord(ch) < 32 or ord(ch) == 127):
            result = "non-printable character"
            chars[i] = "?"
        elif ch == '"':
            quoted = not quoted
        elif ch == "\\":
            if i + 1 >= len(chars):
                result = "trailing \\ character"
                chars[i] = "?"
                break
            i += 1
        i += 1
    if quoted:
        result = "unbalanced quote"
    repaired = "".join(chars)
    if result:
        code = "5.1.3" if isrcpt else "5.1.7"
        env.usrerr(f'501 {code} Syntax error in mailbox address "{repaired}" ({result})')
    return result is not None, repaired


def buildaddr(rw: Rewriter, env: RewriteEnv, tv: list[str], flags: int) -> Address:
    """The $# mailer $@ host $: user triple of a rewritten address."""
    if not tv or tv[0][:1] != CANONNET:
        env.syserr("554 5.3.5 buildaddr: no mailer in parsed address")
        return Address(ERROR_MAILER, None, "", bad=True)
    mname = tv[1] if len(tv) > 1 else ""
    pos = 2
    hostp = None
    if pos < len(tv) and tv[pos][:1] == CANONHOST:
        pos += 1
        hostp = pos
    while pos < len(tv) and tv[pos][:1] != CANONUSER:
        pos += 1
    if pos >= len(tv):
        env.syserr("554 5.3.5 buildaddr: no user")
        return Address(ERROR_MAILER, None, "", bad=True)
    host = None
    if hostp is not None and hostp != pos:
        host = cataddr(tv[hostp:pos], env.space_sub, True, env.tables.internal, MAXNAME + 1)
    user_tokens = tv[pos + 1:]
    ubuf = cataddr(user_tokens, " ", False, env.tables.internal, MAXNAME + 2)
    if mname.lower() == "error":
        return _error_address(env, host, ubuf)
    mailer = rw.config.mailer(mname)
    if mailer is None:
        env.syserr(f"554 5.3.5 buildaddr: unknown mailer {mname}")
        return Address(ERROR_MAILER, None, "", bad=True)
    if host is None and not mailer.has("l"):
        env.syserr("554 5.3.5 buildaddr: no host")
        return Address(ERROR_MAILER, None, "", bad=True)
    return _finish_user(rw, env, mailer, host, ubuf, list(user_tokens), flags)


def _finish_user(rw: Rewriter, env: RewriteEnv, m: Mailer, host: str | None, ubuf: str,
                 tokens: list[str], flags: int) -> Address:
    p = ubuf
    not_remote = m.has("@") and p.startswith("@")
    if not_remote:
        p = p[1:]
        tokens = tokens[1:]
    if p.startswith('"'):
        p = p[1:]
    if p.startswith("|") and m.has("|"):
        m = rw.config.mailer("prog") or m
    elif p.startswith("/") and m.has("/"):
        m = rw.config.mailer("*file*") or m
    elif p.startswith(":") and m.has(":"):
        stripped = stripquotes(ubuf)
        if stripped[:9].lower() == ":include:":
            return Address("*include*", host, stripped[9:], not_remote=not_remote)
    env.define_macro("h", host)
    maxatom = MAXATOM - 3
    if rw.config.level >= 10 or not flags & (RF_SENDERADDR | RF_HEADERADDR):
        rw.rewrite(tokens, 2, env, 0, maxatom)
        if m.recipient_env > 0:
            rw.rewrite(tokens, m.recipient_env, env, 0, maxatom)
    rw.rewrite(tokens, 4, env, 0, maxatom)
    user = cataddr(tokens, env.space_sub, True, env.tables.internal, MAXNAME + 2)
    if host is not None and not m.has("h"):
        host = lower(host)
    if not m.has("u"):
        user = lower(user)
    return Address(m.name, host, user, not_remote=not_remote)


def _error_address(env: RewriteEnv, host: str | None, ubuf: str) -> Address:
    """$#error: report the message the rules chose and set the exit status from it."""
    status = None
    if host is None:
        env.setstat(ex.EX_UNAVAILABLE)
    elif "." in host:
        status = host
        env.setstat(dsn_to_exit(host))
    elif host[:1].isdigit():
        env.setstat(int(host[:len(host) - len(host.lstrip("0123456789"))]))
    else:
        env.setstat(ERROR_CODES.get(lower(host), ex.EX_UNAVAILABLE))
    text = stripquotes(ubuf)
    tempfail = False
    if len(text) > 3 and text[:3].isdigit() and text[3] == " ":
        word = text[4:].split(" ", 1)[0]
        if not is_enhanced(word) and host and is_enhanced(host):
            text = f"{text[:3]} {host} {text[4:]}"
        env.usrerr(text)
        tempfail = text[0] == "4"
    else:
        env.usrerr(f"553 5.3.0 {text}")
    a = Address(ERROR_MAILER, host, ubuf, bad=not tempfail, status=status,
                exit_status=env.exit_status)
    a.queue_up = tempfail
    return a
