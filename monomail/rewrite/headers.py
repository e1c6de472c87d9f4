"""An envelope's header list as sendmail's chompheader builds it: cf defaults first,
then fields from the user, with the header check rulesets run on the way in.

Values are kept in sendmail's internal form: a default from the cf holds its macros
(`\\x81x`), and a user's value has every octet that could pass for one of them
(0x80-0x9f and 0xff) quoted with METAQUOTE, so no user text is ever expanded as a
macro.  `HeaderField.text()` gives the value as it is written out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from monomail.config.headerinfo import (H_CHECK, H_DEFAULT, H_EOH, H_ERRORSTO,
                                        H_FORCE, H_FROM, H_RCPT, H_RESENT, H_STRIPCOMM,
                                        H_USER, MAX_FIELD_NAME, SPACES, header_flags,
                                        split_header)
from monomail.config.model import Config, Header
from .engine import Rewriter
from .env import RewriteEnv
from .rscheck import RSF_COUNT, RSF_RMCOMM, RSF_UNSTRUCTURED, Verdict, rscheck
from .tokens import METAQUOTE, MAXNAME

_MUST_QUOTE = re.compile("[\x80-\x9f\xff]")
_QUOTED = re.compile("\xff(.)", re.DOTALL)
NEW_STYLE_MARKS = ",(<;"  # an address field holding one of these is not "old style"


def quote_internal_chars(text: str) -> str:
    """sendmail's quote_internal_chars: METAQUOTE before octets it uses internally."""
    if _MUST_QUOTE.search(text) is None:
        return text
    return _MUST_QUOTE.sub(lambda m: METAQUOTE + m.group(), text)


def dequote_internal_chars(text: str) -> str:
    """The inverse: each METAQUOTE gives way to the octet it protects."""
    if METAQUOTE not in text:
        return text
    return _QUOTED.sub(lambda m: m.group(1), text).replace(METAQUOTE, "")


def denlstring(text: str, strict: bool = False) -> str:
    """sendmail's denlstring: newlines become blanks (all of them, if any one is not
    followed by a blank or a tab, or always when `strict`); folding stays otherwise."""
    i = text.find("\n")
    while i >= 0:
        if strict or text[i + 1:i + 2] not in (" ", "\t"):
            return text.replace("\n", " ")
        i = text.find("\n", i + 1)
    return text


@dataclass
class HeaderField:
    """One field: sendmail's HDR (h_field, h_value, h_flags, h_mflags, h_macro)."""

    name: str
    value: str | None  # None: replaced by a value from the user
    flags: int
    mflags: str = ""  # `?flags?`: mailer flags of which one must be set to send it
    macro: str | None = None  # `?${macro}?`: the macro that must be set to send it
    key: str = field(init=False, repr=False, compare=False)  # the name in lower case

    def __post_init__(self) -> None:
        self.key = self.name.lower()

    def text(self) -> str:
        """The value as written out (METAQUOTEs removed)."""
        return dequote_internal_chars(self.value or "")


@dataclass
class SenderFacts:
    """What chompheader needs of the envelope sender (for the MH From: hack)."""

    paddr: str
    user: str
    mailer_flags: frozenset[str]


@dataclass
class HeaderList:
    """Header fields of one envelope, starting from the cf's H lines.

    Besides the fields it keeps what chompheader notes on the envelope: whether a
    Resent- field was seen, whether address fields look "old style" (blank
    separated), Errors-To: values and the verdicts of header check rulesets.
    """

    config: Config
    env: RewriteEnv
    rw: Rewriter
    syserr: Callable[[str], None] | None = None
    fields: list[HeaderField] = field(default_factory=list)
    resent: bool = False
    oldstyle: bool = False
    sender: SenderFacts | None = None
    errors_to: list[str] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.oldstyle = bool(self.config.options.get("OldStyleHeaders"))
        for header in self.config.headers:
            self._chomp_default(header)

    def flags_for(self, name: str) -> int:
        """The table's flags, plus comment stripping for fields with a header check."""
        check = self.config.header_checks.get(name.lower())
        return header_flags(name) | (H_STRIPCOMM if check and check[1] else 0)

    def _report(self, message: str) -> None:
        (self.syserr or self.env.syserr)(message)

    def _chomp_default(self, h: Header) -> None:
        """An H line (CHHDR_DEF): a later default for a field replaces an earlier one."""
        flags = self.flags_for(h.name)
        if len(h.name) > MAX_FIELD_NAME or flags & H_EOH:
            return
        value = self._single_line_from(h.value, flags)
        keep, mflags = self._replace_defaults(h.name, value, "".join(sorted(set(h.flags))))
        if keep:
            check = H_CHECK if h.flags or h.macro_condition else 0
            self.fields.append(HeaderField(h.name, value, flags | H_DEFAULT | check, mflags,
                                           h.macro_condition))

    def chomp(self, line: str, check: bool = True) -> int:
        """Add a field from the message (or SMTP, or `-bt /header`); returns its flags as
        sendmail's chompheader does: 0 for a syntax error or an empty field that leaves a
        cf default in place, H_EOH flags for a line that ends the header."""
        line = quote_internal_chars(line)
        parts = split_header(line)
        if parts is None:
            self._report(f'553 5.3.0 header syntax error, line "{line}"')
            return 0
        name, value = parts
        if len(name) > MAX_FIELD_NAME:
            return H_EOH
        flags = self.flags_for(name)
        if flags & H_RESENT:
            self.resent = True
        if flags & H_ERRORSTO and self.config.options.get("UseErrorsTo"):
            self.errors_to.append(value)
        if flags & H_EOH:
            return flags
        value = self._single_line_from(value, flags)
        if check:
            self.check(name, value, flags)
        if self._drop_from(name, value):
            return flags
        keep, mflags = self._replace_defaults(name, value, "")
        if not keep:
            return 0
        new = HeaderField(name, value, flags | H_USER, mflags)
        self.fields.append(new)
        if flags & (H_RCPT | H_FROM) and any(c in value for c in NEW_STYLE_MARKS):
            self.oldstyle = False
        return new.flags

    def _single_line_from(self, value: str, flags: int) -> str:
        if flags & H_FROM and self.config.options.get("SingleLineFromHeader"):
            return value.replace("\n", " ")
        return value

    def _replace_defaults(self, name: str, value: str, mflags: str) -> tuple[bool, str]:
        """Blank out the defaults a new field replaces.  Returns whether the new field
        is kept (not when it is empty and a default stays instead) and its condition
        flags: its own, or those it takes over from the default it replaces."""
        empty, own, key = not value.strip(SPACES), bool(mflags), name.lower()
        for old in self.fields:
            if old.key == key and not old.flags & (H_USER | H_FORCE):
                if empty:
                    return False, mflags
                old.value = None
                if not own:
                    mflags = old.mflags
        return True, mflags

    def _drop_from(self, name: str, value: str) -> bool:
        """sendmail's MH hack: a From: that says just what the default would say (the
        local sender's address or user name) gives way to the default, which adds the
        full name.  The comparison is on the raw value, leading blanks included."""
        wanted = "resent-from" if self.resent else "from"
        s = self.sender
        if (s is None or name.lower() != wanted or "l" not in s.mailer_flags
                or value not in (s.paddr, s.user)):
            return False
        for old in self.fields:
            if old.key == wanted and not old.flags & (H_USER | H_FORCE):
                old.flags |= H_USER
                if "!" in s.mailer_flags:
                    old.flags &= ~H_CHECK
                return True
        return False

    def check(self, name: str, value: str, flags: int) -> Verdict | None:
        """Run the field's header check ruleset (or the `*` one) as sendmail does:
        macros for the field first, then rscheck on the raw value."""
        found = self.config.header_checks.get(name.lower())
        strip = bool(found and found[1])
        if found is None:
            found = self.config.header_checks.get("*")
            strip = bool(found and found[1])
        if found is None:
            return None
        env = self.env
        quoted = '"' + "".join(" " if c in "\t\n\x0b\x0c\r" else "\\" + c if c == '"' else c
                               for c in value)[:MAXNAME - 3] + '"'
        env.define_macro("currHeader", quoted)
        env.define_macro("hdr_name", name)
        env.define_macro("hdrlen", str(len(value)))
        kind = "h s" if flags & H_FROM else "h r" if flags & H_RCPT else "h"
        env.define_macro("addr_type", kind)
        check_flags = RSF_COUNT | (0 if flags & (H_FROM | H_RCPT) else RSF_UNSTRUCTURED)
        verdict = rscheck(self.rw, env, found[0], value,
                          flags=check_flags | (RSF_RMCOMM if strip else 0))
        self.verdicts.append(verdict)
        return verdict

    def add(self, name: str, value: str, flags: int = 0, space: bool = True) -> HeaderField:
        """sendmail's addheader: a field that bypasses chompheader, placed before the
        first field of the same name (at the end when there is none).  A line break
        that would start a new field becomes a blank, as queueup would make it."""
        value = (" " if space else "") + quote_internal_chars(denlstring(value))
        new = HeaderField(name, value, flags | header_flags(name))
        at = next((i for i, h in enumerate(self.fields) if h.key == new.key), len(self.fields))
        self.fields.insert(at, new)
        return new

    def value(self, name: str) -> str | None:
        """sendmail's hvalue: the first field of that name not supplied as a default,
        without its leading blanks (internal form)."""
        key = name.lower()
        for h in self.fields:
            if h.key == key and not h.flags & H_DEFAULT:
                return None if h.value is None else h.value.lstrip(SPACES)
        return None
