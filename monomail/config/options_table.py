"""Every option of sendmail 8.17 (readcf.c's OptionTab, in its order) with its type and default.

Order matters: sendmail resolves abbreviated long names by walking this table, so the
same walk here reports the same "ambiguous option name" pairs.  Entries that exist only
under a compile-time flag Debian's sendmail 8.17.1.9 is not built with are kept (so the
table is complete) but are unknown to lookups, exactly as that sendmail reports them.

Defaults are sendmail's (conf.c setdefaults, inittimeouts, globals) for a Linux build;
QueueLA and RefuseLA scale with the processors online, as sendmail's do.

Known but not implemented by monomail (accepted, typed, warned about, then ignored):
  milter -- InputMailFilters, Milter.* ;  LDAP -- LDAPDefaultSpec ;
  SASL beyond AuthMechanisms/AuthOptions -- AuthRealm, AuthMaxBits, DefaultAuthInfo ;
  statistics / shared memory -- StatusFile, SharedMemoryKey, SharedMemoryKeyFile ;
  one process, so no per-job processes or cross-process state -- ForkEachJob,
  NiceQueueRun, ProcessTitlePrefix, HostStatusDirectory, SingleThreadDelivery,
  DataFileBufferSize, XscriptFileBufferSize, ControlSocketName, Timeout.control ;
  older systems and services -- UserDatabaseSpec, DontInitGroups,
  UseMSP, RandFile, SSLEngine, SSLEnginePath, Timeout.ident (no RFC 1413 lookups) ;
  OpenSSL-only extras -- SetCertAltnames, StrictTransportSecurity.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from types import MappingProxyType

from monomail.rewrite.tokens import MACROEXPAND

from .option_values import MimeHeaderLimits, QueueTimeout

class _Parse:
    """OptionDef.on_empty's default: an empty value goes through the parser."""

    def __repr__(self) -> str:
        return "PARSE"


PARSE = _Parse()


@dataclass(frozen=True)
class OptionDef:
    """One option: how it is spelled, read, defaulted and whether monomail acts on it.

    `kind` names the parser (see options.py); `unit` is convtime's default unit for
    durations; `code` is sendmail's option code (the letter's value, or 0x81.. for
    options that only have a long name); `build` is the compile flag an entry needs;
    `on_empty` replaces an empty value; `merge` says how a repeated setting combines.
    """

    name: str
    letter: str | None
    kind: str
    default: object = field(compare=False)
    implemented: bool
    unit: str | None = None
    code: int = 0
    safe: bool = False
    build: str | None = None
    on_empty: object = field(default=PARSE, compare=False, repr=False)
    merge: str = "replace"
    doc: str = field(default="", compare=False, repr=False)

    @property
    def key(self) -> str:
        """Where Options keeps it: the long name, or the letter for g and M."""
        return self.name or (self.letter or "")

    @property
    def compiled(self) -> bool:
        return self.build is None or self.build in BUILD_FLAGS


# What Debian's sendmail 8.17.1.9 is built with, among the flags OptionTab depends on
BUILD_FLAGS = frozenset({"STARTTLS", "MTA_HAVE_TLSv1_3", "_FFR_BADRCPT_SHUTDOWN",
                         "_FFR_REJECT_NUL_BYTE", "_FFR_TLS_ALTNAMES", "_FFR_MTA_STS",
                         "_FFR_RHS"})


def _processors() -> int:
    try:
        count = os.sysconf("SC_NPROCESSORS_ONLN")
    except (ValueError, OSError):
        count = os.cpu_count() or 1
    return count if count > 0 else 1


_next_code = 0x81


def _o(name: str, letter: str | None, kind: str, default: object, implemented: bool = True,
       **extra: object) -> OptionDef:
    """A row; options without a letter take sendmail's next code (0x81 on), or the one
    given where sendmail skips numbers."""
    global _next_code
    code = extra.pop("code", None)
    if letter is not None:
        code = ord(letter)
    else:
        code = _next_code if code is None else code
        _next_code = code + 1
    return OptionDef(name, letter if letter and letter.isprintable() else None, kind,
                     default, implemented, code=code, **extra)


_M = MACROEXPAND
_N = _processors()
_KEEP = {"on_empty": None, "merge": "keep_if_none"}
_EMPTY: MappingProxyType = MappingProxyType({})

OPTION_TABLE: tuple[OptionDef, ...] = (
    _o("RemoteMode", ">", "bool", False, False, build="SUN_EXTENSIONS"),
    _o("SevenBitInput", "7", "bool", False, safe=True, doc="strip input to 7 bits"),
    _o("EightBitMode", "8", "eightbitmode", "p", safe=True, doc="p(ass), m(ime), s(trict)"),
    _o("AliasFile", "A", "aliasfiles", (), on_empty=("aliases",), merge="append",
       doc="alias databases, [class:]file"),
    _o("AliasWait", "a", "duration", 0, unit="m", on_empty=300,
       doc="wait this long for @:@ in the alias database"),
    _o("BlankSub", "B", "char", " ", doc="replacement for unquoted blanks in addresses"),
    _o("MinFreeBlocks", "b", "minfreeblocks", 0, safe=True,
       doc="free queue blocks needed to accept mail [/MaxMessageSize]"),
    _o("CheckpointInterval", "C", "int", 10, safe=True, doc="rewrite qf every N recipients"),
    _o("HoldExpensive", "c", "bool", False, doc="queue for expensive mailers"),
    _o("DeliveryMode", "d", "deliverymode", "b", safe=True, doc="i, b, q or d"),
    _o("ErrorHeader", "E", "str", None, **_KEEP, doc="text or /file put before bounces"),
    _o("ErrorMode", "e", "errormode", "p", safe=True, merge="keep_if_none",
       doc="p, q, m, w or e"),
    _o("TempFileMode", "F", "mode", 0o600, doc="mode of files sendmail creates"),
    _o("SaveFromLine", "f", "bool", False, doc="keep a leading From_ line"),
    _o("MatchGECOS", "G", "bool", False, doc="match recipients by full name"),
    _o("", "g", "group", None, doc="default group (part of DefaultUser)"),
    _o("HelpFile", "H", "str", None, on_empty="helpfile", doc="SMTP HELP text"),
    _o("MaxHopCount", "h", "int", 25, doc="Received: headers before a loop is declared"),
    _o("ResolverOptions", "I", "resolver", _EMPTY, merge="update", doc="[+|-]flag ..."),
    _o("IgnoreDots", "i", "bool", False, safe=True, doc="a lone dot does not end input"),
    _o("ForwardPath", "J", "str", f"{_M}z/.forward", doc="where .forward files are looked for"),
    _o("SendMimeErrors", "j", "bool", True, safe=True, doc="MIME bounces and DSN"),
    _o("ConnectionCacheSize", "k", "int", 1, doc="SMTP connections kept open"),
    _o("ConnectionCacheTimeout", "K", "duration", 300, unit="m", doc="idle time of those"),
    _o("UseErrorsTo", "l", "bool", False, doc="bounce to Errors-To:"),
    _o("LogLevel", "L", "int", 9, safe=True),
    _o("MeToo", "m", "bool", True, safe=True, doc="keep the sender in alias expansions"),
    _o("", "M", "macro", _EMPTY, merge="macro", doc="define a macro (-oMx value)"),
    _o("CheckAliases", "n", "bool", False, doc="check alias right-hand sides"),
    _o("OldStyleHeaders", "o", "bool", False, safe=True, doc="blank-separated addresses"),
    _o("DaemonPortOptions", "O", "portoptions", (), merge="append_daemon",
       doc="one listening socket per setting"),
    _o("PrivacyOptions", "p", "privacy", frozenset(), safe=True, merge="union"),
    _o("PostmasterCopy", "P", "str", None, doc="copy bounces to this address"),
    _o("QueueFactor", "q", "int", 600000, doc="load-average queueing slope"),
    _o("QueueDirectory", "Q", "str", None, on_empty="mqueue"),
    _o("DontPruneRoutes", "R", "bool", False, doc="keep source routes in bounces"),
    _o("Timeout", "r", "timeout", _EMPTY, doc="Timeout.name=duration, or the old bare list"),
    _o("StatusFile", "S", "str", None, False, on_empty="statistics"),
    _o("SuperSafe", "s", "supersafe", "true", safe=True),
    _o("QueueTimeout", "T", "queuetimeout", QueueTimeout(5 * 86400, 0),
       doc="return[/warn]: Timeout.queuereturn and Timeout.queuewarn"),
    _o("TimeZoneSpec", "t", "str", None, doc="TZ for the process; unset clears TZ"),
    _o("UserDatabaseSpec", "U", "str", None, False),
    _o("DefaultUser", "u", "userspec", None,
       doc="user[:group] for mailers; default mailnull, sendmail or daemon, else 1:1"),
    _o("FallbackMXhost", "V", "str", None, **_KEEP, doc="lowest-priority MX for every host"),
    _o("Verbose", "v", "bool", False, safe=True),
    _o("TryNullMXList", "w", "bool", False, doc="connect directly when we are best MX"),
    _o("QueueLA", "x", "int", 8 * _N, doc="queue instead of delivering above this load"),
    _o("RefuseLA", "X", "int", 12 * _N, doc="refuse SMTP above this load"),
    _o("RecipientFactor", "y", "int", 30000),
    _o("ForkEachJob", "Y", "bool", False, False),
    _o("ClassFactor", "z", "int", 1800),
    _o("RetryFactor", "Z", "int", 90000),
    _o("QueueSortOrder", None, "queuesortorder", "priority", safe=True),
    _o("HostsFile", None, "str", "/etc/hosts"),
    _o("MinQueueAge", None, "duration", 0, unit="m", safe=True, code=0x83),
    _o("DefaultCharSet", None, "charset", None, safe=True, code=0x85,
       doc="charset when 8-bit text is MIME-encoded; unset means unknown-8bit"),
    _o("ServiceSwitchFile", None, "str", "/etc/mail/service.switch"),
    _o("DialDelay", None, "duration", 0, unit="s", safe=True),
    _o("NoRecipientAction", None, "norcptaction", "none", safe=True),
    _o("SafeFileEnvironment", None, "safefileenv", None, merge="keep_if_none"),
    _o("MaxMessageSize", None, "size", 0, doc="0: no limit"),
    _o("ColonOkInAddr", None, "bool", True, safe=True, doc="false from config level 6 on"),
    _o("MaxQueueRunSize", None, "int", 0, safe=True),
    _o("MaxDaemonChildren", None, "int", 0, doc="concurrent SMTP sessions; 0: no limit"),
    _o("DontExpandCnames", None, "bool", False),
    _o("MustQuoteChars", None, "mustquote", "@,;:\\()[].'"),
    _o("SmtpGreetingMessage", None, "munch", f"{_M}j Sendmail {_M}v ready at {_M}b"),
    _o("UnixFromLine", None, "munch", f"From {_M}g  {_M}d"),
    _o("OperatorChars", None, "munch", None, doc="unset: .:@[] (or $o before level 7)"),
    _o("DontInitGroups", None, "bool", False, False),
    _o("SingleLineFromHeader", None, "bool", False, safe=True),
    _o("AllowBogusHELO", None, "bool", False, safe=True),
    _o("ConnectionRateThrottle", None, "int", 0, code=0x97),
    _o("UnsafeGroupWrites", None, "bool", True, code=0x99,
       doc="false adds GroupWritable{Forward,Include}FileSafe to DontBlameSendmail"),
    _o("DoubleBounceAddress", None, "str", "postmaster"),
    _o("HostStatusDirectory", None, "str", None, False, **_KEEP),
    _o("SingleThreadDelivery", None, "bool", False, False),
    _o("RunAsUser", None, "userspec", None),
    _o("RrtImpliesDsn", None, "bool", False),
    _o("PidFile", None, "str", "/var/run/sendmail/mta/sendmail.pid"),
    _o("DontBlameSendmail", None, "dontblame", frozenset(), merge="dontblame"),
    _o("DontProbeInterfaces", None, "dontprobe", False),
    _o("MaxRecipientsPerMessage", None, "int", 0, safe=True),
    _o("DeadLetterDrop", None, "str", None),
    _o("DontLockFilesForRead", None, "bool", True, False, code=0xa4,
       build="_FFR_DONTLOCKFILESFORREAD_OPTION"),
    _o("MaxAliasRecursion", None, "int", 10, code=0xa5),
    _o("ConnectOnlyTo", None, "connectonlyto", None),
    _o("TrustedUser", None, "user", None),
    _o("MaxMimeHeaderLength", None, "mimeheaderlimits", MimeHeaderLimits(2048, 1024)),
    _o("ControlSocketName", None, "str", None, False),
    _o("MaxHeadersLength", None, "headerslength", 32768),
    _o("MaxForwardEntries", None, "int", 0, False, build="_FFR_MAX_FORWARD_ENTRIES"),
    _o("ProcessTitlePrefix", None, "str", None, False, code=0xac),
    _o("DefaultAuthInfo", None, "str", None, False),
    _o("AuthMechanisms", None, "list",
       ("EXTERNAL", "GSSAPI", "KERBEROS_V4", "DIGEST-MD5", "CRAM-MD5"), on_empty=()),
    _o("ClientPortOptions", None, "portoptions", (), merge="by_family"),
    _o("DataFileBufferSize", None, "int", 4096, False),
    _o("XscriptFileBufferSize", None, "int", 4096, False),
    _o("LDAPDefaultSpec", None, "str", None, False),
    _o("ServerCertFile", None, "str", None, code=0xb4),
    _o("ServerKeyFile", None, "str", None),
    _o("ClientCertFile", None, "str", None),
    _o("ClientKeyFile", None, "str", None),
    _o("CACertFile", None, "str", None),
    _o("CACertPath", None, "str", None),
    _o("DHParameters", None, "str", None, doc="unset: the built-in 2048-bit group (i)"),
    _o("InputMailFilters", None, "list", (), False),
    _o("Milter", None, "milter", None, False),
    _o("AuthOptions", None, "authoptions", frozenset(), merge="union"),
    _o("QueueFileMode", None, "mode", 0o600),
    _o("CertFingerprintAlgorithm", None, "str", None, doc="unset: md5"),
    _o("CipherList", None, "str", None),
    _o("RandFile", None, "str", None, False),
    _o("TLSSrvOptions", None, "tlssrvoptions", frozenset(), merge="union"),
    _o("BadRcptThrottle", None, "int", 0, safe=True),
    _o("DeliverByMin", None, "duration", 0, unit="s"),
    _o("MaxQueueChildren", None, "int", 0),
    _o("MaxRunnersPerQueue", None, "int", 1),
    _o("DirectSubmissionModifiers", None, "modifiers", None),
    _o("NiceQueueRun", None, "int", 0, False),
    _o("SharedMemoryKey", None, "int", 0, False),
    _o("AuthMaxBits", None, "int", 2**31 - 1, False),
    _o("MailboxDatabase", None, "str", "pw"),
    _o("UseMSP", None, "bool", False, False),
    _o("DelayLA", None, "int", 0),
    _o("FastSplit", None, "int", 1),
    _o("SoftBounce", None, "bool", False),
    _o("SharedMemoryKeyFile", None, "str", None, False),
    _o("RejectLogInterval", None, "duration", 10800, unit="h"),
    _o("RequiresDirfsync", None, "bool", True),
    _o("ConnectionRateWindowSize", None, "duration", 60, unit="s"),
    _o("CRLFile", None, "str", None),
    _o("FallbackSmartHost", None, "str", None, **_KEEP),
    _o("AuthRealm", None, "str", None, False, on_empty=None),
    _o("CRLPath", None, "str", None),
    _o("HeloName", None, "str", None, doc="name for HELO/EHLO instead of $j"),
    _o("RefuseLowMem", None, "int", 0, False, build="_FFR_MEMSTAT"),
    _o("QueueLowMem", None, "int", 0, False, build="_FFR_MEMSTAT"),
    _o("MemoryResource", None, "str", None, False, build="_FFR_MEMSTAT"),
    _o("MaxNOOPCommands", None, "int", 20, code=0xdc),
    _o("MessageAccept", None, "str", None, False, build="_FFR_MSG_ACCEPT"),
    _o("CheckQueueRunners", None, "int", 0, False, build="_FFR_QUEUE_RUN_PARANOIA"),
    _o("EightBitAddrOK", None, "bool", False, False, build="_FFR_EIGHT_BIT_ADDR_OK"),
    _o("AddrTypeModes", None, "bool", False, False, build="_FFR_ADDR_TYPE_MODES"),
    _o("BadRcptShutdown", None, "int", 0, safe=True, build="_FFR_BADRCPT_SHUTDOWN"),
    _o("BadRcptShutdownGood", None, "int", 0, safe=True, build="_FFR_BADRCPT_SHUTDOWN"),
    _o("ServerSSLOptions", None, "ssloptions", (), merge="append"),
    _o("ClientSSLOptions", None, "ssloptions", (), merge="append"),
    _o("MaxQueueAge", None, "duration", 0, unit="m"),
    _o("BadRcptThrottleDelay", None, "int", 1, False, safe=True,
       build="_FFR_RCPTTHROTDELAY"),
    _o("InetQoS", None, "str", None, False, code=0xe7, build="_FFR_QOS"),
    _o("FIPSMode", None, "bool", False, False, build="_FFR_FIPSMODE"),
    _o("RejectNUL", None, "bool", False, safe=True, build="_FFR_REJECT_NUL_BYTE"),
    _o("BounceQueue", None, "str", None, False, build="_FFR_BOUNCE_QUEUE"),
    _o("AddBcc", None, "bool", False, False, build="_FFR_ADD_BCC"),
    _o("UseCompressedIPv6Addresses", None, "bool", False),
    _o("SSLEngine", None, "str", None, False, build="STARTTLS"),
    _o("SSLEnginePath", None, "str", None, False, build="STARTTLS"),
    _o("TLSFallbacktoClear", None, "bool", False, build="STARTTLS"),
    _o("NameServer", None, "str", None, False, build="DNSSEC_TEST"),
    _o("DANE", None, "str", None, False, build="DANE"),
    _o("NameSearchList", None, "str", None, False, build="DNSSEC_TEST"),
    _o("Hacks", None, "int", 0, False, code=0xf4, build="_FFR_BLANKENV_MACV"),
    _o("KeepBcc", None, "bool", False, False, code=0xf3, build="_FFR_KEEPBCC"),
    _o("ClientCACertFile", None, "str", None, False, code=0xf5, build="_FFR_CLIENTCA"),
    _o("ClientCACertPath", None, "str", None, False, build="_FFR_CLIENTCA"),
    _o("SetCertAltnames", None, "bool", False, False, build="_FFR_TLS_ALTNAMES"),
    _o("SmtpUTF8", None, "bool", False),
    _o("StrictTransportSecurity", None, "bool", False, False, build="_FFR_MTA_STS"),
    _o("CipherSuites", None, "str", None, build="MTA_HAVE_TLSv1_3"),
)


def _sub(parent: str, name: str, kind: str, default: object, unit: str | None = None,
         implemented: bool = True) -> OptionDef:
    return OptionDef(f"{parent}.{name}", None, kind, default, implemented, unit=unit)


_QUEUE_CLASSES = ("normal", "urgent", "non-urgent", "dsn")

# settimeout's TimeOutTab: each a duration in minutes unless noted, with its default
TIMEOUT_OPTIONS: tuple[OptionDef, ...] = tuple(
    _sub("Timeout", name, "duration", default, "m", implemented)
    for name, default, implemented in (
        ("initial", 300, True), ("mail", 600, True), ("rcpt", 3600, True),
        ("datainit", 300, True), ("datablock", 3600, True), ("datafinal", 3600, True),
        ("command", 3600, True), ("rset", 300, True), ("helo", 300, True),
        ("quit", 120, True), ("misc", 120, True), ("ident", 5, False),
        ("fileopen", 60, True), ("connect", 0, True), ("iconnect", 0, True),
        ("aconnect", 0, True), ("hoststatus", 1800, True), ("control", 120, False),
        ("lhlo", 120, True), ("auth", 600, True), ("starttls", 3600, True))
) + tuple(
    _sub("Timeout", f"queuewarn{suffix}", "duration", 0, "h")
    for suffix in ("", *(f".{c}" for c in _QUEUE_CLASSES))
) + tuple(
    _sub("Timeout", f"queuereturn{suffix}", "duration", 5 * 86400, "d")
    for suffix in ("", *(f".{c}" for c in _QUEUE_CLASSES))
) + tuple(
    _sub("Timeout", f"resolver.retrans{suffix}", "duration", 5, "s")
    for suffix in ("", ".first", ".normal")
) + tuple(
    _sub("Timeout", f"resolver.retry{suffix}", "int", 2) for suffix in ("", ".first", ".normal")
)

# "queuewarn.*" and "queuereturn.*" are sendmail's other spelling of the general ones
TIMEOUT_ALIASES = {"queuewarn.*": "queuewarn", "queuereturn.*": "queuereturn"}

MILTER_OPTIONS: tuple[OptionDef, ...] = tuple(
    _sub("Milter", name, kind, None, implemented=False)
    for name, kind in (("LogLevel", "int"), *((f"macros.{m}", "list") for m in (
        "connect", "helo", "envfrom", "envrcpt", "data", "eom", "eoh"))))

# monomail's own settings, for what sendmail has no option for.  They live under
# `Monomail.` and are found by exact name only, so they never change how sendmail's
# names abbreviate; sendmail itself reports them as unknown options.
MONOMAIL_OPTIONS: tuple[OptionDef, ...] = tuple(
    OptionDef(f"Monomail.{name}", None, kind, default, True, doc=doc)
    for name, kind, default, doc in (
        ("LogFile", "str", None,
         "file that log lines are appended to when /dev/log is missing or unusable"),
        ("SmrshDirectory", "str", None,
         "run prog mailer commands by smrsh's rules, with programs from this folder only "
         "(sendmail's smrsh has its folder compiled in)"),
        ("NameServer", "connectonlyto", None,
         "`[port@]address` of the one DNS server to ask, instead of resolv.conf's (whose "
         "search list and options are then not read either): a private resolver, or a "
         "test server on loopback (sendmail has this as NameServer in DNSSEC_TEST builds)"),
        ("BareLineEnds", "str", "reject",
         "a bare CR or LF in SMTP message data: reject (421, as sendmail 8.18), normalize "
         "(a blank) or accept; srv_features g/G/g2 and u/U/u2 decide per client"),
    ))

# what a general queue or resolver timeout also sets
TIMEOUT_FANOUT = {
    "Timeout.queuewarn": tuple(f"Timeout.queuewarn.{c}" for c in _QUEUE_CLASSES),
    "Timeout.queuereturn": tuple(f"Timeout.queuereturn.{c}" for c in _QUEUE_CLASSES),
    "Timeout.resolver.retrans": ("Timeout.resolver.retrans.first",
                                 "Timeout.resolver.retrans.normal"),
    "Timeout.resolver.retry": ("Timeout.resolver.retry.first",
                               "Timeout.resolver.retry.normal"),
}
