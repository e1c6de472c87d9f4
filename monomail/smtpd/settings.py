"""The cf options the SMTP server acts on, read once per Config into typed fields.

Each field names the option it comes from; sessions never look options up by name,
so a reload swaps one SmtpSettings and a session keeps the one it started with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, cast

from monomail.config.model import Config
from monomail.rewrite.engine import Rewriter
from monomail.smtpd.reader import Bare

DEFAULT_HELO_LIMIT = 3      # sendmail's MAXHELOCOMMANDS
DEFAULT_VRFY_LIMIT = 6      # MAXVRFYCOMMANDS
DEFAULT_ETRN_LIMIT = 8      # MAXETRNCOMMANDS
MAX_BAD_COMMANDS = 25       # MAXBADCOMMANDS


class SettingsError(ValueError):
    """An option value the server cannot run with; the message names the option."""


def _bare(config: Config) -> Bare:
    value = str(config.options.get("Monomail.BareLineEnds") or "reject").lower()
    try:
        return Bare(value)
    except ValueError:
        raise SettingsError(f"{config.path}: Monomail.BareLineEnds={value}: expected reject, "
                            "normalize or accept") from None


def _int(config: Config, name: str, default: int = 0) -> int:
    value = config.options.get(name)
    return default if value is None else int(value)  # type: ignore[call-overload]


@dataclass(frozen=True)
class SmtpSettings:
    """Options of the SMTP server (sendmail's names in the comments)."""

    greeting: str                  # SmtpGreetingMessage, unexpanded
    help_file: str | None          # HelpFile
    privacy: frozenset[str]        # PrivacyOptions
    max_message_size: int          # MaxMessageSize (0: none)
    max_recipients: int            # MaxRecipientsPerMessage (0: none)
    max_headers_length: int        # MaxHeadersLength (0 or less: none)
    max_noop: int                  # MaxNOOPCommands
    max_children: int              # MaxDaemonChildren: > 0 lets repeated abuse end a session
    bad_rcpt_throttle: int         # BadRcptThrottle
    command_timeout: int           # Timeout.command, seconds
    datablock_timeout: int         # Timeout.datablock, seconds
    deliver_by_min: int            # DeliverByMin (< 0: no DELIVERBY)
    send_mime_errors: bool         # SendMimeErrors (off: no DSN)
    allow_bogus_helo: bool         # AllowBogusHELO
    soft_bounce: bool              # SoftBounce
    eight_bit_mode: str            # EightBitMode: s refuses 8-bit data without BODY=8BITMIME
    reject_nul: bool               # RejectNUL
    smtputf8: bool                 # SmtpUTF8
    log_level: int                 # LogLevel
    queue_directory: str           # QueueDirectory
    min_free_blocks: int           # MinFreeBlocks (its blocks; /size went to MaxMessageSize)
    log_file: str | None           # Monomail.LogFile
    bare_line_ends: Bare           # Monomail.BareLineEnds: the default of g/G/g2 and u/U/u2

    @classmethod
    def from_config(cls, config: Config) -> "SmtpSettings":
        opts = config.options
        help_file = opts.get("HelpFile")
        return cls(
            greeting=str(opts.get("SmtpGreetingMessage") or ""),
            help_file=str(help_file) if help_file else None,
            privacy=frozenset(cast(Iterable[str], opts.get("PrivacyOptions") or ())),
            max_message_size=_int(config, "MaxMessageSize"),
            max_recipients=_int(config, "MaxRecipientsPerMessage"),
            max_headers_length=_int(config, "MaxHeadersLength"),
            max_noop=_int(config, "MaxNOOPCommands", 20),
            max_children=_int(config, "MaxDaemonChildren"),
            bad_rcpt_throttle=_int(config, "BadRcptThrottle"),
            command_timeout=_int(config, "Timeout.command", 3600),
            datablock_timeout=_int(config, "Timeout.datablock", 3600),
            deliver_by_min=_int(config, "DeliverByMin"),
            send_mime_errors=bool(opts.get("SendMimeErrors", True)),
            allow_bogus_helo=bool(opts.get("AllowBogusHELO")),
            soft_bounce=bool(opts.get("SoftBounce")),
            eight_bit_mode=str(opts.get("EightBitMode") or "p"),
            reject_nul=bool(opts.get("RejectNUL")),
            smtputf8=bool(opts.get("SmtpUTF8")),
            log_level=_int(config, "LogLevel", 9),
            queue_directory=str(opts.get("QueueDirectory") or ""),
            min_free_blocks=getattr(opts.get("MinFreeBlocks"), "blocks", 0),
            log_file=str(opts.get("Monomail.LogFile") or "") or None,
            bare_line_ends=_bare(config),
        )


@dataclass(frozen=True)
class Runtime:
    """One Config with what every session shares: its compiled rules and settings."""

    config: Config
    rewriter: Rewriter
    settings: SmtpSettings

    @classmethod
    def from_config(cls, config: Config) -> "Runtime":
        return cls(config, Rewriter(config), SmtpSettings.from_config(config))
