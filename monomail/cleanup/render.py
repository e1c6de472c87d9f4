"""A stored message as one mailer receives it: sendmail's deliver() writing order
(putfromline, putheader, putbody) for a mailer's input.

The Unix `From ` line is written for mailers that run a program (any P= other than
[IPC]) and lack F=n, exactly as sendmail writes it on the program's standard input;
monomail's in-process mailbox writer uses a mailer with F=n and writes its own.
The body goes out as sendmail's mime8to7 copies it when no conversion is needed
(its default path): line by line, with the mailer's line end, `>From ` for F=E, the
L= split, 7 bits for F=7.  Dot-stuffing (F=X) is left to the SMTP transport.
Converting 8-bit MIME to 7 bits is not done here (see `render`)."""

from __future__ import annotations

from monomail.config.macros import expand
from monomail.config.model import Config, Mailer
from monomail.rewrite.engine import Rewriter
from monomail.rewrite.env import MAXLINE, RewriteEnv

from .message import Message
from .putheader import HeaderContext, putheader
from .putline import PXLF_HEADER, PXLF_MAPFROM, PXLF_NOADDEOL, MailerOutput

class ConversionNeeded(NotImplementedError):
    """The mailer (F=7, or an SMTP peer without 8BITMIME) needs 8-bit MIME converted
    to 7 bits, which monomail does not do yet."""


def header_context(config: Config, rw: Rewriter, env: RewriteEnv,
                   **extra: object) -> HeaderContext:
    """A HeaderContext with the cf's options (KeepBcc, RrtImpliesDsn, DefaultCharSet,
    EightBitMode, UnixFromLine); `extra` overrides them (and gives fromdomain)."""
    opts = config.options
    settings = dict(keep_bcc=bool(opts.get("KeepBcc")),
                    no_receipt=bool(opts.get("RrtImpliesDsn")),
                    default_charset=str(opts.get("DefaultCharSet") or "unknown-8bit"),
                    mime_8bit=opts.get("EightBitMode") == "m")
    if opts.get("UnixFromLine") is not None:
        settings["unix_from"] = str(opts.get("UnixFromLine"))
    return HeaderContext(rw=rw, env=env, **{**settings, **extra})  # type: ignore[arg-type]


def render(message: Message, mailer: Mailer, ctx: HeaderContext, *,
           convert_8to7: bool = False) -> bytes:
    """The octets `mailer` is given for `message`.

    `ctx.env` carries the delivery's macros: $g (the sender as this mailer sees it),
    $d, $u, $h and whatever the cf's H lines and UnixFromLine name.  `convert_8to7` is the
    SMTP client's request for 8-bit to 7-bit conversion (peer without 8BITMIME)."""
    if (convert_8to7 or mailer.has("7")) and message.has_8bit and not message.dont_mime:
        raise ConversionNeeded(f"mailer {mailer.name}: 8-bit MIME to 7-bit conversion")
    out = MailerOutput(mailer, seven_bit=mailer.has("7"))
    if not mailer.has("n") and mailer.path != "[IPC]":
        putfromline(out, ctx.env, ctx.unix_from)
    putheader(out, message, ctx)
    putbody(out, message.body)
    if out.long_line:
        out.putline("")  # deliver() ends what a program gets; SMTP does it before the dot
    return out.data()


def putfromline(out: MailerOutput, env: RewriteEnv, template: str) -> None:
    """The Unix From line.  For F=U mailers and a `host!user` sender sendmail writes
    the UUCP form `From user  $d remote from host` instead of UnixFromLine."""
    value = env.macros.get
    if out.mailer.has("U"):
        sender = expand("\x81g", value, env.syserr)[:MAXLINE - 1]
        host, bang, user = sender.partition("!")
        if bang:
            template = f"From {user[:800]}  \x81d remote from {host[:100]}\n"
    out.putxline(expand(template, value, env.syserr)[:MAXLINE - 1], PXLF_HEADER)


def putbody(out: MailerOutput, body: bytes) -> None:
    """The blank line after the header, then the body as fgets pieces of up to
    MAXLINE-1 octets, each written without adding a line end it lacks."""
    out.putline("")
    text = body.decode("latin-1")
    if _as_is(out, body):
        out.parts.append(text if out.mailer.eol == "\n" else text.replace("\n", out.mailer.eol))
        out.long_line = bool(text) and not text.endswith("\n")
        last = text[text.rfind("\n", 0, len(text) - 1) + 1:]
        if out.mailer.has("b") and last not in ("", "\n"):
            out.putline("")
        return
    pos, last = 0, ""
    while pos < len(text):
        end = text.find("\n", pos) + 1 or len(text)
        for start in range(pos, end, MAXLINE - 1):
            out.putxline(text[start:min(start + MAXLINE - 1, end)], PXLF_MAPFROM | PXLF_NOADDEOL)
        last, pos = text[pos:end], end
    if out.mailer.has("b") and last not in ("", "\n"):
        out.putline("")


def _as_is(out: MailerOutput, body: bytes) -> bool:
    """Whether putxline would copy every line unchanged (most messages): no 7-bit
    stripping, no `From ` to escape, no line over the mailer's L= limit."""
    m = out.mailer
    if out.seven_bit and not body.isascii():
        return False
    if m.has("E") and (body.startswith(b"From ") or b"\nFrom " in body):
        return False
    return m.linelimit <= 0 or max(map(len, body.split(b"\n"))) <= m.linelimit
