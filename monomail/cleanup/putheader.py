"""sendmail's putheader for one mailer, and the header lines queueup writes.

putheader sends a field only if its `?flags?` share a flag with the mailer (or its
`?${macro}?` is set), Resent- fields only for resent messages, defaults and late
binding fields (Return-Path: <$g>) with their macros expanded now, Bcc: dropped or
emptied, and address fields rewritten for the mailer by commaize: each address goes
through remotename (rulesets 3, 1 or 2, the mailer's S=/R= header rulesets, 4) and
the list is written comma separated, folded before column 78 (or L=)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from monomail import sysexits as ex
from monomail.config.headerinfo import (H_ACHECK, H_BCC, H_BINDLATE, H_CHECK, H_DEFAULT,
                                        H_FROM, H_RCPT, H_RECEIPTTO, H_RESENT, SPACES)
from monomail.config.macros import expand
from monomail.config.model import Mailer
from monomail.rewrite.engine import Rewriter
from monomail.rewrite.env import MAXLINE, RewriteEnv
from monomail.rewrite.headers import HeaderField, denlstring
from monomail.rewrite.parseaddr import RF_ADDDOMAIN, RF_HEADERADDR, RF_SENDERADDR
from monomail.rewrite.prescan import prescan
from monomail.rewrite.remotename import remotename

from .message import Message
from .putline import PXLF_HEADER, PXLF_STRIP8BIT, PXLF_STRIPMQUOTE, MailerOutput

FIELD_NAME_MAX = 200
VANILLA_BUF = MAXLINE + 256
COMMAIZE_BUF = MAXLINE + 3
PUTHEADER_BUF = 8192  # SM_MAX(MAXLINE, BUFSIZ)
NULL_MAILER = Mailer(index=-1, name="*null*", path="", flags=frozenset(), argv=(), eol="\n",
                     sender_env=-1, sender_hdr=-1, recipient_env=-1, recipient_hdr=-1)


class HeaderWriteError(Exception):
    """An address field could not be rewritten for an SMTP mailer (sendmail then
    abandons the delivery; EX_TEMPFAIL makes it a temporary failure)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"header address rewriting failed (status {status})")
        self.status = status


@dataclass
class HeaderContext:
    """What putheader needs beyond the message and the mailer."""

    rw: Rewriter
    env: RewriteEnv
    fromdomain: Sequence[str] | None = None  # the sender's domain (sender mailer F=C)
    keep_bcc: bool = False  # KeepBcc
    no_receipt: bool = False  # RrtImpliesDsn, or EF_NORECEIPT: drop Return-Receipt-To:
    default_charset: str = "unknown-8bit"
    mime_8bit: bool = False  # EightBitMode=m: declare undeclared 8-bit text as MIME
    unix_from: str = "From \x81g  \x81d"  # UnixFromLine, in internal form

    def expand(self, text: str, size: int = MAXLINE) -> str:
        """expand() into a buffer of `size` octets, as the caller in sendmail has."""
        return expand(text, self.env.macros.get, self.env.syserr)[:size - 1]


def putheader(out: MailerOutput, message: Message, ctx: HeaderContext) -> None:
    """Write the header fields for `out.mailer`."""
    m = out.mailer
    for h in message.fields:
        value = h.value
        if value is None or _skipped(h, m, message, ctx):
            continue
        if h.flags & (H_DEFAULT | H_BINDLATE):
            value = ctx.expand(value, PUTHEADER_BUF)
            if not value:
                continue
        if h.flags & H_BCC and not ctx.keep_bcc:
            if not message.delete_bcc:
                out.putline(h.name[:FIELD_NAME_MAX] + ":")
            continue
        if h.flags & (H_FROM | H_RCPT):
            oldstyle = message.oldstyle and not h.flags & H_FROM
            commaize(out, h, value, oldstyle, ctx, PXLF_HEADER | PXLF_STRIPMQUOTE)
        else:
            put_vanilla_header(out, h, value)
    _mime_declaration(out, message, ctx)


def _skipped(h: HeaderField, m: Mailer, message: Message, ctx: HeaderContext) -> bool:
    if h.flags & (H_CHECK | H_ACHECK) and not (set(h.mflags) & m.flags):
        if not (h.macro and ctx.env.macro(h.macro)):
            return True
    if h.flags & H_RESENT and not message.resent:
        return True
    return bool(h.flags & H_RECEIPTTO and ctx.no_receipt)


def _mime_declaration(out: MailerOutput, message: Message, ctx: HeaderContext) -> None:
    """EightBitMode=m: an undeclared 8-bit message is declared 8-bit text/plain for
    mailers without F=8."""
    if (not ctx.mime_8bit or not message.has_8bit or message.dont_mime
            or out.mailer.has("8") or message.value("MIME-Version") is not None):
        return
    out.putline("MIME-Version: 1.0")
    if message.value("Content-Type") is None:
        out.putline(f"Content-Type: text/plain; charset={ctx.default_charset}")
    if message.value("Content-Transfer-Encoding") is None:
        out.putline("Content-Transfer-Encoding: 8bit")


def put_vanilla_header(out: MailerOutput, h: HeaderField, value: str) -> None:
    """A field as it is (long pieces cut where sendmail's buffer ends)."""
    flags = PXLF_HEADER | PXLF_STRIPMQUOTE
    if out.mailer.has("6"):
        flags |= PXLF_STRIP8BIT
    line = h.name[:FIELD_NAME_MAX] + ":"
    while True:
        nl = value.find("\n")
        if nl < 0:
            break
        room = VANILLA_BUF - len(line) - 1
        take = min(nl, room)
        out.putxline(line + value[:take], flags)
        value = value[take + 1:]
        line = "" if value[:1] in (" ", "\t") else " "
    out.putxline(line + value[:VANILLA_BUF - len(line) - 1], flags)


def commaize(out: MailerOutput, h: HeaderField, value: str, oldstyle: bool,
             ctx: HeaderContext, putflags: int) -> None:
    """An address field: each address rewritten for the mailer, the list joined with
    commas and folded (new lines start with eight blanks)."""
    m = out.mailer
    if m.has("6"):
        putflags |= PXLF_STRIP8BIT
    name = h.name[:FIELD_NAME_MAX]
    line = name + ":"
    opos = min(len(h.name) + 1, FIELD_NAME_MAX + 1)
    p = len(value) - len(value.lstrip(SPACES))
    spaces = min(p, COMMAIZE_BUF // 2)
    line += " " * spaces
    opos += spaces
    omax = m.linelimit - 2
    if omax < 0 or omax > 78:
        omax = 78
    flags = RF_HEADERADDR | RF_ADDDOMAIN | (RF_SENDERADDR if h.flags & H_FROM else 0)
    first = True
    for address in split_addresses(value, p, oldstyle, ctx.env):
        rewritten, status = remotename(ctx.rw, ctx.env, address, m, flags, ctx.fromdomain)
        if status != ex.EX_OK and m.path == "[IPC]":
            raise HeaderWriteError(status)
        if not rewritten:
            continue
        rewritten = denlstring(rewritten)
        opos += len(rewritten) + (0 if first else 2)
        if opos > omax and not first:
            out.putxline(line + ",\n", putflags)
            line = " " * 8
            opos = 8 + len(rewritten)
        elif not first:
            line += ", "
        line += rewritten[:max(MAXLINE - len(line), 0)]
        first = False
    out.putxline(line[:COMMAIZE_BUF - 1], putflags)


def split_addresses(value: str, p: int, oldstyle: bool, env: RewriteEnv) -> list[str]:
    """commaize's walk: addresses end at a comma (a blank in old style headers),
    except that `user @ host` with blanks around the @ is one address."""
    delim = " " if oldstyle else ","
    table = env.tables.external
    names: list[str] = []
    n = len(value)

    def blank(i: int) -> bool:
        return i >= n or value[i] in SPACES or value[i] == ","

    while p < n:
        while p < n and (value[p] in SPACES or value[p] == ","):
            p += 1
        start = p
        while True:
            tokens, stop = prescan(value[p:], delim, table, usrerr=env.usrerr)
            p = oldp = p + stop
            while p < n and value[p] in SPACES:
                p += 1
            if p >= n or value[p] != "@":
                p = oldp
                break
            p += 1
            while p < n and value[p] in SPACES:
                p += 1
        while p >= start and blank(p):
            p -= 1
        p += 1
        if p == start:
            continue
        if tokens is None and p > start + 1 and not blank(p):
            p -= 1  # sendmail's recovery: the last octet is looked at again
        names.append(value[start:p])
    return names


def queue_header_lines(message: Message, ctx: HeaderContext) -> list[str]:
    """The `H` lines sendmail's queueup writes for this message (what a qf file holds):
    `H?flags?Name: value`, defaults expanded with $g standing for $f, address fields
    passed through commaize with a mailer that rewrites nothing."""
    env = ctx.env
    saved = env.macros.get(ord("g"))
    env.define_macro("g", "\x81f")
    out = MailerOutput(NULL_MAILER)
    try:
        for h in message.fields:
            if h.value is None or (h.flags & H_RESENT and not message.resent):
                continue
            bound = ctx.expand(h.value) if h.flags & H_DEFAULT else h.value
            if h.flags & H_DEFAULT and bound in ("", " "):
                continue
            out.parts.append("H?" + _condition(h) + "?")
            if h.flags & H_DEFAULT and not h.flags & H_BINDLATE:
                out.parts.append(f"{h.name}:{denlstring(bound)}\n")
            elif h.flags & (H_FROM | H_RCPT) and not h.flags & H_BINDLATE:
                oldstyle = message.oldstyle and not h.flags & H_FROM
                commaize(out, h, h.value, oldstyle, ctx, PXLF_HEADER)
            else:
                out.parts.append(f"{h.name}:{denlstring(h.value)}\n")
    finally:
        env.define_macro("g", saved)
    return "".join(out.parts).splitlines(keepends=True)


def _condition(h: HeaderField) -> str:
    if h.macro:
        return "$" + (h.macro if len(h.macro) == 1 else "{" + h.macro + "}")
    if h.mflags and h.flags & (H_CHECK | H_ACHECK):
        return "".join(sorted(h.mflags))
    return ""
