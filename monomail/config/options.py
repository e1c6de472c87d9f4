"""sendmail options: reading `O` lines, `-O Name=value` and `-oXvalue`, and the typed set.

The table itself (names, letters, types, defaults, what monomail implements) is in
options_table.py; the value parsers in option_values.py and option_words.py.

- `parse_option_line(text, where)` reads what follows the `O` of a cf line: " Name=value"
  (long form, after a blank) or "Xvalue" (old one-letter form), exactly as setoption
  splits it.  It returns (definition or None, typed value, messages), the messages being
  the lines sendmail prints for the same input, plus one for options monomail ignores.
  The command line passes " " + arg for `-O arg` and arg for `-o arg`.
- `Options` holds the effective value of every option.  Settings are applied as sendmail
  applies them, so several lines accumulate where sendmail's do (AliasFile,
  DaemonPortOptions, PrivacyOptions, ...), one setting can set others (QueueTimeout,
  MinFreeBlocks /size, DefaultUser :group) and command-line values are sticky.
"""

from __future__ import annotations

import functools
from types import MappingProxyType
from typing import Callable, Iterator, Mapping

from . import option_values as values
from . import option_words as words
from .option_lookup import (COMPILED, SUB_OPTIONS, by_code, find_option, match_long_name,
                            monomail_option, sub_option)
from .option_values import Notes, convtime
from .options_table import (MILTER_OPTIONS, MONOMAIL_OPTIONS, PARSE, TIMEOUT_FANOUT,
                            TIMEOUT_OPTIONS, OptionDef)

__all__ = ["OptionDef", "Options", "convtime", "find_option", "parse_option_line",
           "parse_option_value"]

Parser = Callable[[str, Notes], object]

_OLD_TIMEOUTS = ("mail", "rcpt", "datainit", "datablock", "datafinal", "command")


def _timeouts(raw: str, notes: Notes) -> Mapping[str, int]:
    """The bare `O Timeout=` (old r) list: `name:value` or `name=value` items, or a
    number, which sets the six SMTP command timeouts as sendmail 8.6 did."""
    settings: dict[str, int] = {}
    timeout = find_option("Timeout")
    for item in raw.split(","):
        item = item.lstrip(" \t\n\v\f\r")
        if item[:1].isascii() and item[:1].isdigit():
            seconds = values.duration(item, "m", notes)
            settings.update(dict.fromkeys(_OLD_TIMEOUTS, seconds))
            continue
        colon = item.find(":")
        split = colon if colon >= 0 else item.find("=")
        if split < 0:
            continue  # sendmail ignores items it cannot split
        sub = sub_option(timeout, item[:split])
        if sub is None:
            notes.syserr(f"settimeout: invalid timeout {item[:split]}")
            continue
        settings[sub.name.partition(".")[2]] = _parse(sub, item[split + 1:], notes)
        _warn_unimplemented(sub, notes)
    return MappingProxyType(settings)


def _no_suboption(raw: str, notes: Notes) -> object:
    notes.fail("milter_set_option: invalid Milter option, must specify suboption")


_PARSERS: dict[str, Parser] = {
    "bool": lambda raw, notes: values.atobool(raw),
    "int": values.integer, "size": values.size, "mode": values.file_mode,
    "char": values.char, "str": values.string, "list": values.word_list,
    "munch": values.munchstring, "charset": values.charset,
    "deliverymode": values.delivery_mode, "errormode": values.error_mode,
    "eightbitmode": values.eight_bit_mode, "supersafe": values.super_safe,
    "queuesortorder": values.queue_sort_order, "norcptaction": values.no_recipient_action,
    "dontprobe": values.dont_probe_interfaces, "safefileenv": values.safe_file_environment,
    "mustquote": values.must_quote_chars, "userspec": values.user_spec,
    "user": values.user_name, "group": values.group_name,
    "minfreeblocks": values.min_free_blocks, "queuetimeout": values.queue_timeout,
    "mimeheaderlimits": values.mime_header_limits, "headerslength": values.headers_length,
    "connectonlyto": values.connect_only_to, "authoptions": values.auth_options,
    "tlssrvoptions": values.tls_server_options, "modifiers": values.modifiers,
    "privacy": words.privacy_options, "dontblame": words.dont_blame_sendmail,
    "resolver": words.resolver_options, "ssloptions": words.ssl_options,
    "portoptions": words.port_options, "aliasfiles": words.alias_files,
    "macro": words.macro_definition, "timeout": _timeouts, "milter": _no_suboption,
}


def _parse(opt: OptionDef, raw: str, notes: Notes) -> object:
    if raw == "" and opt.on_empty is not PARSE:
        return opt.on_empty
    notes.option = opt.name
    if opt.kind == "duration":
        return values.duration(raw, opt.unit or "m", notes)
    return _PARSERS[opt.kind](raw, notes)


def _warn_unimplemented(opt: OptionDef, notes: Notes) -> None:
    if not opt.implemented:
        notes.syserr(f"option {opt.name or opt.letter} is not implemented by monomail; "
                     "ignored")


def parse_option_value(opt: OptionDef, raw: str, where: str = "") -> object:
    """The typed value of `raw` for `opt`; raises ConfigError (at `where`) when the
    value cannot be read.  Messages sendmail would print along the way are dropped:
    use parse_option_line to get them."""
    return _parse(opt, raw, Notes(where, opt.name))


def _split_long_form(body: str) -> tuple[str, str]:
    """Name and value of "Name=value" as setoption cuts them: blanks (only blanks)
    before the = and after it go, blanks in front of the name stay."""
    eq = body.find("=")
    if eq < 0:
        return body.rstrip(" "), ""
    return body[:eq].rstrip(" "), body[eq + 1:].lstrip(" ")


def _long_form(body: str, notes: Notes) -> tuple[OptionDef | None, str]:
    """Resolve the name of a long-form setting; None after saying why (as sendmail)."""
    name, raw = _split_long_form(body)
    if name == "":
        notes.syserr("readcf: null option name")
        return None, raw
    own = monomail_option(name)
    if own is not None:
        if own.option is None:
            notes.syserr(own.message or "")
        return own.option, raw
    head, dot, subname = name.partition(".")
    match = match_long_name(head)
    if match.option is None:
        notes.syserr(match.message or "")
        return None, raw
    opt = match.option
    if len(head) != len(opt.name):
        notes.syserr(f"Option {head} used as abbreviation for {opt.name}")
    if dot and opt.name in SUB_OPTIONS:
        return _sub_form(opt, subname, notes), raw
    if opt.name == "Milter":
        notes.syserr("milter_set_option: invalid Milter option, must specify suboption")
        return None, raw
    return opt, raw


def _sub_form(opt: OptionDef, subname: str, notes: Notes) -> OptionDef | None:
    sub = sub_option(opt, subname)
    if sub is None and opt.name == "Timeout":
        notes.syserr(f"settimeout: invalid timeout {subname}")
    elif sub is None:
        notes.syserr(f"milter_set_option: invalid Milter option {subname}")
    return sub


def parse_option_line(text: str, where: str,
                      config_level: int = 10) -> tuple[OptionDef | None, object, list[str]]:
    """Read one option setting: `text` is what follows the O of an O line.

    Returns (None, None, messages) when sendmail would set nothing (unknown name,
    bad sub-option), else (definition, typed value, messages).  A value that cannot be
    read raises ConfigError.  `config_level` is accepted for the cf reader's sake:
    sendmail 8.17 reads option lines the same way at every level.
    """
    notes = Notes(where)
    if text[:1] == " ":
        opt, raw = _long_form(text[1:], notes)
    else:
        code = ord(text[0]) if text else 0
        opt, raw = by_code(code), text[1:]
        if opt is None:
            notes.syserr(f"readcf: unknown option name 0x{code & 0xFF:x}")
    if opt is None:
        return None, None, notes.warnings
    value = _parse(opt, raw, notes)
    _warn_unimplemented(opt, notes)
    return opt, value, notes.warnings


# ---------------------------------------------------------------------------
# The effective option set

_NEVER_STICKY = frozenset({"PrivacyOptions", "DontBlameSendmail", "M"})
_ALL = COMPILED + TIMEOUT_OPTIONS + MILTER_OPTIONS + MONOMAIL_OPTIONS
_DEFAULTS = {o.key: o.default for o in _ALL if o.kind != "timeout"}
_UNSAFE_GROUP_WRITES = frozenset({"groupwritableforwardfilesafe",
                                  "groupwritableincludefilesafe"})
_FAMILY_NUMBERS = {"local": 1, "inet": 2, "inet6": 10}


def _option(name: str) -> OptionDef:
    opt = find_option(name)
    assert opt is not None, name
    return opt


def _effects(opt: OptionDef, value: object) -> list[tuple[OptionDef, object]]:
    """Every (option, value) one setting stands for, itself first where it is kept."""
    if opt.kind == "timeout":
        return [pair for sub, v in value.items()
                for pair in _effects(_option(f"Timeout.{sub}"), v)]
    if opt.name in TIMEOUT_FANOUT:
        return [(opt, value)] + [(_option(n), value) for n in TIMEOUT_FANOUT[opt.name]]
    if opt.kind == "queuetimeout":
        pairs = [(opt, value)] + _effects(_option("Timeout.queuereturn"), value.return_after)
        if value.warn_after is not None:
            pairs += _effects(_option("Timeout.queuewarn"), value.warn_after)
        return pairs
    if opt.kind == "minfreeblocks":
        size = value.max_message_size
        return [(opt, value.blocks)] + ([] if size is None else
                                        [(_option("MaxMessageSize"), size)])
    if opt.letter == "u" and value is not None and value.group is not None:
        return [(opt, value), (_option("g"), value.group)]
    if opt.name == "UnsafeGroupWrites" and value is False:
        return [(opt, value), (_option("DontBlameSendmail"), _UNSAFE_GROUP_WRITES)]
    return [(opt, value)]


def _merge(opt: OptionDef, old: object, new: object) -> object:
    """How a new setting combines with what earlier ones left (sendmail's way)."""
    how = opt.merge
    if new is None and how in ("keep_if_none", "macro"):
        return old
    if how == "union":
        return old | new
    if how == "dontblame":
        return new - {"safe"} if "safe" in new else old | new
    if how == "append":
        return old + new
    if how == "append_daemon":
        return old + (_with_name(new, f"Daemon{len(old)}"),)
    if how == "by_family":
        return _by_family(old, new)
    if how == "update":
        return MappingProxyType({**old, **new})
    if how == "macro":
        return MappingProxyType({**old, new[0]: new[1]})
    return new


def _with_name(settings: Mapping[str, object], name: str) -> Mapping[str, object]:
    if "Name" in settings:
        return settings
    return MappingProxyType({**settings, "Name": name})


def _by_family(old: tuple, new: Mapping[str, object]) -> tuple:
    """ClientPortOptions: one setting per address family, the last one wins."""
    family = new.get("Family", "inet")
    number = family if isinstance(family, int) else _FAMILY_NUMBERS[family]
    kept = tuple(s for s in old if s.get("Family", "inet") != family)
    return kept + (_with_name(new, f"Client{number}"),)


class _OnDefaultsOrSelf:
    """Lets a method run on an instance, or on the class meaning "on the defaults"."""

    def __init__(self, method: Callable) -> None:
        self.method = method
        self.__doc__ = method.__doc__

    def __get__(self, obj: "Options | None", owner: type) -> Callable:
        return functools.partial(self.method, owner() if obj is None else obj)


class Options(Mapping[str, object]):
    """Every option's effective value, keyed by canonical name (letters for g and M,
    Timeout.x for timeouts); looked up without regard to case, or by letter.

    Immutable: with_value/with_values return a new set.  A sticky setting (from the
    command line) is not overridden by later non-sticky ones (the cf), except the
    options sendmail never makes sticky: PrivacyOptions, DontBlameSendmail and M.
    """

    __slots__ = ("_values", "_sticky")

    def __init__(self, settings: Mapping[str, object] | None = None) -> None:
        self._values: dict[str, object] = dict(_DEFAULTS)
        self._sticky: frozenset[str] = frozenset()
        for name, value in (settings or {}).items():
            applied = self.with_value(name, value)
            self._values, self._sticky = applied._values, applied._sticky

    @classmethod
    def for_config_level(cls, level: int) -> "Options":
        """Defaults as a V line leaves them: level 6 and up turns ColonOkInAddr off."""
        return cls().with_value("ColonOkInAddr", level < 6)

    def with_value(self, option: OptionDef | str, value: object,
                   sticky: bool = False) -> "Options":
        """Apply one setting as read by parse_option_line/parse_option_value."""
        opt = option if isinstance(option, OptionDef) else find_option(option)
        if opt is None:
            raise KeyError(option)
        new = Options.__new__(Options)
        new._values = dict(self._values)
        sticky_keys = set(self._sticky)
        for target, v in _effects(opt, value):
            key = target.key
            if key in sticky_keys and not sticky:
                continue
            new._values[key] = _merge(target, new._values[key], v)
            if sticky and key not in _NEVER_STICKY:
                sticky_keys.add(key)
        new._sticky = frozenset(sticky_keys)
        return new

    @_OnDefaultsOrSelf
    def with_values(self, settings: Mapping[str, object], sticky: bool = False) -> "Options":
        """Apply several settings in order (names as find_option takes them); called on
        the class, start from the defaults."""
        result = self
        for name, value in settings.items():
            result = result.with_value(name, value, sticky)
        return result

    @property
    def sticky(self) -> frozenset[str]:
        return self._sticky

    def __getitem__(self, name: str) -> object:
        opt = find_option(name)
        if opt is None:
            raise KeyError(name)
        if opt.kind == "timeout":
            return MappingProxyType({k.partition(".")[2]: v for k, v in self._values.items()
                                     if k.startswith("Timeout.")})
        return self._values[opt.key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        changed = {k: v for k, v in self._values.items() if v != _DEFAULTS[k]}
        return f"Options({changed!r})"
