"""sendmail 8.17's options: the table, every value type and special parser, the O-line
forms, the messages (checked against Debian's sendmail 8.17.1.9 -bt output), Options."""

from __future__ import annotations

import pytest

from monomail.config.errors import ConfigError
from monomail.config.option_lookup import COMPILED, match_long_name
from monomail.config.option_values import (ConnectOnlyTo, MimeHeaderLimits, MinFreeBlocks,
                                           QueueTimeout, TimeUnitError, UserSpec, munchstring)
from monomail.config.options import (_PARSERS, OptionDef, Options, convtime, find_option,
                                     parse_option_line, parse_option_value)
from monomail.config.options_table import (MILTER_OPTIONS, OPTION_TABLE, TIMEOUT_OPTIONS)

WHERE = "sendmail.cf: line 7"


def line(text: str, where: str = WHERE):
    return parse_option_line(text, where)


def value(text: str):
    """The typed value of a long-form line that must produce no message."""
    opt, typed, warnings = line(" " + text)
    assert opt is not None and warnings == [], warnings
    return typed


def error(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        line(" " + text)
    assert caught.value.where == WHERE
    return caught.value.message


def messages(text: str) -> list[str]:
    return line(text)[2]


# --- the table -------------------------------------------------------------------------

def test_table_has_every_optiontab_entry_in_order() -> None:
    assert len(OPTION_TABLE) == 170
    names = [o.name for o in OPTION_TABLE]
    assert names[:4] == ["RemoteMode", "SevenBitInput", "EightBitMode", "AliasFile"]
    assert names[-3:] == ["SmtpUTF8", "StrictTransportSecurity", "CipherSuites"]
    assert names.index("QueueSortOrder") == names.index("RetryFactor") + 1


@pytest.mark.parametrize("name, code", [
    ("QueueSortOrder", 0x81), ("HostsFile", 0x82), ("MinQueueAge", 0x83),
    ("DefaultCharSet", 0x85), ("ConnectionRateThrottle", 0x97), ("UnsafeGroupWrites", 0x99),
    ("MaxAliasRecursion", 0xA5), ("ServerCertFile", 0xB4), ("MaxNOOPCommands", 0xDC),
    ("BadRcptShutdown", 0xE1), ("RejectNUL", 0xE9), ("SmtpUTF8", 0xF8), ("CipherSuites", 0xFA),
    ("LogLevel", ord("L")), ("MeToo", ord("m")),
])
def test_option_codes_are_sendmails(name: str, code: int) -> None:
    assert find_option(name).code == code


def test_every_kind_has_a_parser() -> None:
    kinds = {o.kind for o in OPTION_TABLE + TIMEOUT_OPTIONS + MILTER_OPTIONS}
    assert kinds - {"duration"} <= set(_PARSERS)


def test_durations_have_units() -> None:
    for opt in OPTION_TABLE + TIMEOUT_OPTIONS:
        assert (opt.kind == "duration") == (opt.unit is not None), opt.name


def test_not_implemented_options() -> None:
    unimplemented = {o.name for o in COMPILED + TIMEOUT_OPTIONS + MILTER_OPTIONS
                     if not o.implemented}
    assert unimplemented == {
        "InputMailFilters", "LDAPDefaultSpec", "AuthRealm", "AuthMaxBits",
        "DefaultAuthInfo", "StatusFile", "SharedMemoryKey", "SharedMemoryKeyFile",
        "ForkEachJob", "NiceQueueRun", "ProcessTitlePrefix", "HostStatusDirectory",
        "SingleThreadDelivery", "DataFileBufferSize", "XscriptFileBufferSize",
        "ControlSocketName", "Timeout.control", "UserDatabaseSpec",
        "DontInitGroups", "UseMSP", "RandFile", "SSLEngine", "SSLEnginePath",
        "Timeout.ident", "SetCertAltnames", "StrictTransportSecurity", "Milter",
        *(o.name for o in MILTER_OPTIONS)}


def test_option_defs_are_hashable_and_frozen() -> None:
    opt = find_option("ResolverOptions")
    assert hash(opt) == hash(find_option("resolveroptions"))
    with pytest.raises(AttributeError):
        opt.name = "x"  # type: ignore[misc]


# --- find_option -----------------------------------------------------------------------

@pytest.mark.parametrize("name, canonical", [
    ("LogLevel", "LogLevel"), ("loglevel", "LogLevel"), ("LOGLEVEL", "LogLevel"),
    ("L", "LogLevel"), ("m", "MeToo"), ("d", "DeliveryMode"),
    ("Timeout.queuewarn.normal", "Timeout.queuewarn.normal"),
    ("timeout.QUEUEWARN.*", "Timeout.queuewarn"), ("Timeout", "Timeout"),
    ("milter.loglevel", "Milter.LogLevel"), ("Milter.macros.envfrom", "Milter.macros.envfrom"),
])
def test_find_option(name: str, canonical: str) -> None:
    assert find_option(name).name == canonical


def test_letters_are_case_sensitive_and_g_m_have_no_long_name() -> None:
    assert find_option("g").name == "" and find_option("g").key == "g"
    assert find_option("M").kind == "macro" and find_option("m").name == "MeToo"


@pytest.mark.parametrize("name", ["Verb", "NoSuchOption", "W", "N", "Timeout.bogus",
                                  "MaxForwardEntries", "DANE", "RemoteMode", ">", ""])
def test_find_option_knows_only_full_names_of_built_options(name: str) -> None:
    assert find_option(name) is None


def test_match_long_name_walks_the_table_like_setoption() -> None:
    assert match_long_name("Verb").option.name == "Verbose"
    assert match_long_name("Timeout").option.name == "Timeout"
    assert match_long_name("Queue").message == (
        "readcf: ambiguous option name Queue (matches QueueFactor and QueueDirectory)")


# --- convtime --------------------------------------------------------------------------

@pytest.mark.parametrize("text, unit, seconds", [
    ("5d4h", "m", 5 * 86400 + 4 * 3600), ("30m", "d", 1800), ("90", "m", 5400),
    ("90", "s", 90), ("4", "h", 14400), ("2", "d", 172800), ("1w", "m", 604800),
    ("1h30", "m", 3600 + 1800), ("0s", "m", 0), ("", "m", 0), ("-5m", "s", -300),
    ("now", "d", -1), ("NOW", "m", -1), ("10", "x", 864000),
])
def test_convtime(text: str, unit: str, seconds: int) -> None:
    assert convtime(text, unit) == seconds


@pytest.mark.parametrize("text, bad", [("5x", "x"), ("5M", "M"), ("abc", "a"),
                                       ("1.5h", "."), ("5 m", " ")])
def test_convtime_refuses_unknown_units_in_sendmails_words(text: str, bad: str) -> None:
    with pytest.raises(TimeUnitError) as caught:
        convtime(text, "m")
    assert str(caught.value) == f"Invalid time unit `{bad}'"
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("setting, seconds", [
    ("AliasWait=10", 600), ("AliasWait=", 300), ("ConnectionCacheTimeout=5m", 300),
    ("MinQueueAge=30", 1800), ("MaxQueueAge=1h", 3600), ("DialDelay=5", 5),
    ("DeliverByMin=60", 60), ("RejectLogInterval=3", 10800),
    ("ConnectionRateWindowSize=2m", 120),
])
def test_duration_options_use_their_own_default_unit(setting: str, seconds: int) -> None:
    assert value(setting) == seconds


def test_bad_duration_unit_is_reported_and_read_as_the_default_unit() -> None:
    # as sendmail's convtime: complain, then take the option's default unit
    opt, value, warnings = line(" MinQueueAge=5x")
    assert (value, warnings) == (5 * 60, ["sendmail.cf: line 7: Invalid time unit `x'"])


# --- scalar types ----------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("", True), ("True", True), ("true", True), ("T", True), ("yes", True), ("Y", True),
    ("False", False), ("f", False), ("no", False), ("1", False), ("on", False),
])
def test_bool_is_atobool(raw: str, expected: bool) -> None:
    assert value(f"SevenBitInput={raw}") is expected


def test_bool_without_equals_is_true() -> None:
    assert value("HoldExpensive") is True


@pytest.mark.parametrize("raw, expected", [("12", 12), (" 12 ", 12), ("-3", -3),
                                           ("+4", 4), ("", 0)])
def test_int(raw: str, expected: int) -> None:
    assert value(f"MaxHopCount={raw}") == expected


@pytest.mark.parametrize("raw", ["x", "10abc", "1.5", "0x10"])
def test_int_refuses_what_atoi_would_turn_into_junk(raw: str) -> None:
    assert error(f"MaxHopCount={raw}") == f'expected a number, got "{raw}"'


def test_size_is_plain_bytes() -> None:
    assert value("MaxMessageSize=10000000") == 10000000
    assert error("MaxMessageSize=10M") == 'expected a size in bytes, got "10M"'


@pytest.mark.parametrize("raw, mode", [("0644", 0o644), ("644", 0o644), ("0600", 0o600),
                                       ("17777", 0o777), ("", 0)])
def test_file_mode_is_octal(raw: str, mode: int) -> None:
    assert value(f"TempFileMode={raw}") == mode
    assert value(f"QueueFileMode={raw}") == mode


def test_file_mode_refuses_non_octal() -> None:
    assert error("TempFileMode=0689") == (
        'expected an octal file mode like 0600, got "0689"')


@pytest.mark.parametrize("raw, char", [(".", "."), ("", " "), ("_x", "_")])
def test_char(raw: str, char: str) -> None:
    assert value(f"BlankSub={raw}") == char


def test_lists_split_on_commas_and_blanks() -> None:
    assert value("AuthMechanisms=PLAIN LOGIN,CRAM-MD5 , DIGEST-MD5") == (
        "PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5")
    assert value("AuthMechanisms=") == ()


@pytest.mark.parametrize("setting, expected", [
    ("HelpFile=", "helpfile"), ("QueueDirectory=", "mqueue"),
    ("HelpFile=/etc/mail/helpfile", "/etc/mail/helpfile"),
    ("ForwardPath=$z/.forward:/var/forward/$u", "$z/.forward:/var/forward/$u"),
    ("DoubleBounceAddress=", ""), ("TimeZoneSpec=", ""), ("PidFile=/run/x.pid", "/run/x.pid"),
])
def test_strings(setting: str, expected: str) -> None:
    assert value(setting) == expected


@pytest.mark.parametrize("name", ["ErrorHeader", "FallbackMXhost", "FallbackSmartHost"])
def test_empty_value_leaves_some_strings_alone(name: str) -> None:
    assert value(f"{name}=") is None
    options = Options().with_value(name, "x.example").with_value(name, None)
    assert options[name] == "x.example"


# --- special parsers -------------------------------------------------------------------

@pytest.mark.parametrize("raw, mode", [("i", "i"), ("b", "b"), ("q", "q"), ("d", "d"),
                                       ("", "i"), ("background", "b"), ("queue", "q")])
def test_delivery_mode(raw: str, mode: str) -> None:
    assert value(f"DeliveryMode={raw}") == mode
    assert line(f"d{raw}")[1] == mode


@pytest.mark.parametrize("raw", ["z", "o", "t", "s", "I"])
def test_delivery_mode_unknown_is_sendmails_error(raw: str) -> None:
    assert error(f"DeliveryMode={raw}") == f"Unknown delivery mode {raw}"


@pytest.mark.parametrize("raw, mode", [("p", "p"), ("print", "p"), ("q", "q"), ("m", "m"),
                                       ("w", "w"), ("e", "e"), ("", None)])
def test_error_mode(raw: str, mode: str | None) -> None:
    assert value(f"ErrorMode={raw}") == mode


def test_error_mode_unknown() -> None:
    assert error("ErrorMode=z") == 'expected an error mode p, q, m, w or e, got "z"'
    assert Options().with_value("ErrorMode", None)["ErrorMode"] == "p"


@pytest.mark.parametrize("raw, mode", [("pass8", "p"), ("mimefy", "m"), ("strict", "s")])
def test_eight_bit_mode(raw: str, mode: str) -> None:
    assert value(f"EightBitMode={raw}") == mode


@pytest.mark.parametrize("raw, text", [("x", "Unknown 8-bit mode x"),
                                       ("", "Unknown 8-bit mode "),
                                       ("P", "Unknown 8-bit mode P")])
def test_eight_bit_mode_unknown(raw: str, text: str) -> None:
    assert error(f"EightBitMode={raw}") == text


@pytest.mark.parametrize("raw, mode", [("True", "true"), ("", "true"), ("false", "false"),
                                       ("Interactive", "interactive"), ("i", "interactive"),
                                       ("PostMilter", "postmilter"), ("x", "false")])
def test_super_safe(raw: str, mode: str) -> None:
    assert value(f"SuperSafe={raw}") == mode


@pytest.mark.parametrize("raw, order", [
    ("priority", "priority"), ("Host", "host"), ("filename", "filename"), ("time", "time"),
    ("random", "random"), ("modification", "modification"), ("none", "none"),
    ("shuffle", "shuffle"), ("p", "priority"), ("pony", "priority"),
])
def test_queue_sort_order_reads_the_first_letter(raw: str, order: str) -> None:
    assert value(f"QueueSortOrder={raw}") == order


@pytest.mark.parametrize("raw", ["zz", "", "xhost"])
def test_queue_sort_order_unknown(raw: str) -> None:
    assert error(f"QueueSortOrder={raw}") == f'Invalid queue sort order "{raw}"'


@pytest.mark.parametrize("raw, action", [("none", "none"), ("Add-To", "add-to"),
                                         ("add-apparently-to", "add-apparently-to"),
                                         ("ADD-BCC", "add-bcc"),
                                         ("Add-To-Undisclosed", "add-to-undisclosed")])
def test_no_recipient_action(raw: str, action: str) -> None:
    assert value(f"NoRecipientAction={raw}") == action


def test_no_recipient_action_unknown() -> None:
    assert error("NoRecipientAction=add") == "Invalid NoRecipientAction: add"


@pytest.mark.parametrize("raw, probe", [("loopback", "loopback"), ("LoopBack", "loopback"),
                                        ("True", True), ("", True), ("false", False)])
def test_dont_probe_interfaces(raw: str, probe: object) -> None:
    assert value(f"DontProbeInterfaces={raw}") == probe


@pytest.mark.parametrize("raw, path", [("/safe", "/safe"), ("/safe///", "/safe"),
                                       ("/", None), ("", None)])
def test_safe_file_environment(raw: str, path: str | None) -> None:
    assert value(f"SafeFileEnvironment={raw}") == path


def test_must_quote_chars_always_has_the_specials() -> None:
    assert value("MustQuoteChars=.") == "@,;:\\()[]."
    assert value("MustQuoteChars=") == "@,;:\\()[]"
    assert Options()["MustQuoteChars"] == "@,;:\\()[].'"


def test_must_quote_chars_too_long() -> None:
    opt, chars, warnings = line(" MustQuoteChars=" + "x" * 40)
    assert chars == "@,;:\\()[]"
    assert warnings == ["Warning: MustQuoteChars too long, ignored."]
    assert value("MustQuoteChars=" + "x" * 39).endswith("x" * 39)


def test_munched_strings_lose_quotes_and_read_escapes() -> None:
    assert value('SmtpGreetingMessage="$j" ESMTP\\nready') == "$j ESMTP\nready"
    assert value("UnixFromLine=From $g  $d") == "From $g  $d"
    assert value('OperatorChars=.:%@!^/[]+') == ".:%@!^/[]+"
    assert munchstring('a\\"b\\\\c\\r\\f\\b\\q') == 'a"b\\c\r\f\bq'


def test_default_charset_has_no_newlines() -> None:
    assert value("DefaultCharSet=iso-8859-1") == "iso-8859-1"
    assert parse_option_value(find_option("DefaultCharSet"), "a\nb") == "a b"


@pytest.mark.parametrize("raw, spec", [
    ("root", UserSpec("root", None)), ("root:root", UserSpec("root", "root")),
    ("0.0", UserSpec("0", "0")), ("1/1", UserSpec("1", "1")), ("8:", UserSpec("8", None)),
    ("65534:65534", UserSpec("65534", "65534")),
])
def test_user_specs(raw: str, spec: UserSpec) -> None:
    assert value(f"DefaultUser={raw}") == spec
    assert value(f"RunAsUser={raw}") == spec


@pytest.mark.parametrize("setting, text", [
    ("DefaultUser=nosuchuser-mm", "readcf: option u: unknown user nosuchuser-mm"),
    ("DefaultUser=root:nosuchgroup-mm", "readcf: option u: unknown group nosuchgroup-mm"),
    ("RunAsUser=nosuchuser-mm.x", "readcf: option RunAsUser: unknown user nosuchuser-mm"),
    ("RunAsUser=0:nosuchgroup-mm", "readcf: option RunAsUser: unknown group nosuchgroup-mm"),
    ("TrustedUser=nosuchuser-mm", "readcf: option TrustedUser: unknown user nosuchuser-mm"),
])
def test_unknown_accounts_are_sendmails_errors(setting: str, text: str) -> None:
    assert error(setting) == text


def test_old_g_option_and_trusted_user() -> None:
    assert line("groot")[1] == "root" and line("g8")[1] == "8"
    assert value("TrustedUser=0") == "0"
    with pytest.raises(ConfigError) as caught:
        line("gnosuchgroup-mm")
    assert caught.value.message == "readcf: option g: unknown group nosuchgroup-mm"


@pytest.mark.parametrize("raw, blocks", [("100", MinFreeBlocks(100, None)),
                                         ("100/5000", MinFreeBlocks(100, 5000)),
                                         ("", MinFreeBlocks(0, None))])
def test_min_free_blocks(raw: str, blocks: MinFreeBlocks) -> None:
    assert value(f"MinFreeBlocks={raw}") == blocks


def test_min_free_blocks_refuses_junk() -> None:
    assert error("MinFreeBlocks=x/1") == 'expected a number of blocks, got "x"'
    assert error("MinFreeBlocks=1/2k") == 'expected a size in bytes, got "2k"'


@pytest.mark.parametrize("raw, timeout", [("5d/4h", QueueTimeout(432000, 14400)),
                                          ("3", QueueTimeout(259200, None)),
                                          ("2d/4", QueueTimeout(172800, 14400)),
                                          ("now", QueueTimeout(-1, None))])
def test_queue_timeout(raw: str, timeout: QueueTimeout) -> None:
    assert value(f"QueueTimeout={raw}") == timeout
    assert line(f"T{raw}")[1] == timeout


@pytest.mark.parametrize("raw, limits", [("4096", MimeHeaderLimits(4096, 2048)),
                                         ("0/0", MimeHeaderLimits(0, 0)),
                                         ("256/100", MimeHeaderLimits(256, 100)),
                                         ("-5", MimeHeaderLimits(0, 0)),
                                         ("300/", MimeHeaderLimits(300, 150))])
def test_mime_header_limits(raw: str, limits: MimeHeaderLimits) -> None:
    assert value(f"MaxMimeHeaderLength={raw}") == limits


def test_mime_header_limits_warn_like_sendmail() -> None:
    assert line(" MaxMimeHeaderLength=100/20")[2] == [
        "Warning: MaxMimeHeaderLength: header length limit set lower than 128",
        "Warning: MaxMimeHeaderLength: field length limit set lower than 40"]


def test_headers_length_warns_below_half_the_default() -> None:
    assert line(" MaxHeadersLength=100") [1:] == (100, [
        "Warning: MaxHeadersLength: headers length limit set lower than 16384"])
    assert value("MaxHeadersLength=0") == 0 and value("MaxHeadersLength=16384") == 16384


@pytest.mark.parametrize("raw, target", [
    ("127.0.0.1", ConnectOnlyTo("127.0.0.1", None)),
    ("25@127.0.0.1", ConnectOnlyTo("127.0.0.1", 25)),
    ("0x19@10.0.0.1", ConnectOnlyTo("10.0.0.1", 25)),
    ("031@10.0.0.1", ConnectOnlyTo("10.0.0.1", 25)),
    ("::1", ConnectOnlyTo("::1", None)), ("2525@::1", ConnectOnlyTo("::1", 2525)),
    ("0.0.0.0", ConnectOnlyTo("0.0.0.0", None)), ("127.1", ConnectOnlyTo("127.1", None)),
])
def test_connect_only_to(raw: str, target: ConnectOnlyTo) -> None:
    assert value(f"ConnectOnlyTo={raw}") == target


@pytest.mark.parametrize("raw, text", [
    ("70000@1.2.3.4", "readcf: option ConnectOnlyTo: invalid port 70000"),
    ("foo", "readcf: option ConnectOnlyTo: invalid IP address foo"),
    ("25@mail.example.com", "readcf: option ConnectOnlyTo: invalid IP address mail.example.com"),
    ("255.255.255.255", "readcf: option ConnectOnlyTo: invalid IP address 255.255.255.255"),
])
def test_connect_only_to_errors(raw: str, text: str) -> None:
    assert error(f"ConnectOnlyTo={raw}") == text


def test_auth_options_take_the_first_letter_of_each_word() -> None:
    assert value("AuthOptions=p,y") == frozenset("py")
    assert value("AuthOptions=A a c d f m p y") == frozenset("Aacdfmpy")
    opt, flags, warnings = line(" AuthOptions=A,py x")
    assert flags == frozenset("Ap")
    assert warnings == ["Warning: Option: AuthOptions unknown parameter 'x'"]


def test_tls_server_options() -> None:
    assert line(" TLSSrvOptions=V,Q")[1:] == (
        frozenset("V"), ["Warning: Option: TLSSrvOptions unknown parameter 'Q'"])
    assert value("TLSSrvOptions=V C") == frozenset("VC")


def test_modifiers_keep_each_printable_flag_once() -> None:
    assert value("DirectSubmissionModifiers=C f") == "Cf"
    assert value("DirectSubmissionModifiers=CC uu") == "Cu"


# --- word lists ------------------------------------------------------------------------

GOAWAY = {"needmailhelo", "needexpnhelo", "needvrfyhelo", "noexpn", "novrfy",
          "authwarnings", "noverb"}


@pytest.mark.parametrize("raw, flags", [
    ("authwarnings", {"authwarnings"}), ("public", set()),
    ("goaway", GOAWAY), ("goaway,restrictqrun", GOAWAY | {"restrictqrun"}),
    ("noexpn novrfy;NOETRN", {"noexpn", "novrfy", "noetrn"}),
    ("needmailhelo,noreceipts,nobodyreturn,noactualrecipient,restrictmailq,restrictexpand",
     {"needmailhelo", "noreceipts", "nobodyreturn", "noactualrecipient", "restrictmailq",
      "restrictexpand"}),
])
def test_privacy_options(raw: str, flags: set[str]) -> None:
    assert value(f"PrivacyOptions={raw}") == frozenset(flags)


def test_privacy_unknown_word_is_reported_and_the_rest_applies() -> None:
    assert line(" PrivacyOptions=goaway,foo")[1:] == (
        frozenset(GOAWAY), [f"{WHERE}: readcf: Op line: foo unrecognized"])
    # noreflection is an _FFR_ flag the reference sendmail is built without
    assert messages(" PrivacyOptions=noreflection") == [
        f"{WHERE}: readcf: Op line: noreflection unrecognized"]


def test_privacy_old_form_with_blank() -> None:
    assert line("p authwarnings")[1] == frozenset({"authwarnings"})


def test_dont_blame_sendmail() -> None:
    assert value("DontBlameSendmail=GroupWritableAliasFile, ForwardFileInUnsafeDirPath") == \
        frozenset({"groupwritablealiasfile", "forwardfileinunsafedirpath"})
    assert value("DontBlameSendmail=assumesafechown,safe,truststickybit") == \
        frozenset({"safe", "truststickybit"})
    assert line(" DontBlameSendmail=safe,bogus")[1:] == (
        frozenset({"safe"}), [f"{WHERE}: readcf: DontBlameSendmail option: bogus unrecognized"])


def test_resolver_options() -> None:
    assert value("ResolverOptions=+AAONLY -dnsrch usevc HasWildcardMX") == {
        "aaonly": True, "dnsrch": False, "usevc": True, "HasWildcardMX": True}
    assert value("ResolverOptions=-WorkAroundBrokenAAAA true") == {
        "WorkAroundBrokenAAAA": False}
    assert line(" ResolverOptions=use_inet6 +trustad")[1:] == (
        {"trustad": True}, [f"{WHERE}: readcf: I option value use_inet6 unrecognized"])


def test_ssl_options() -> None:
    opt, steps, warnings = line(
        " ServerSSLOptions=+SSL_OP_NO_TLSv1 -0x10 bogus ssl_op_no_ticket,SSL_OP_ALL")
    assert steps == (("SSL_OP_NO_TLSv1", True), (16, False), ("SSL_OP_NO_TICKET", True),
                     ("SSL_OP_ALL", True))
    assert warnings == [f"{WHERE}: readcf: ServerSSLOptions option value bogus unrecognized"]
    assert value("ClientSSLOptions=-SSL_OP_TLSEXT_PADDING 010") == (
        ("SSL_OP_TLSEXT_PADDING", False), (8, True))


def test_port_options_of_the_generic_msa() -> None:
    assert value("DaemonPortOptions=Port=587, Name=MSA, M=E") == {
        "Port": 587, "Name": "MSA", "Modifier": "E"}


@pytest.mark.parametrize("raw, settings", [
    ("Addr=127.0.0.1", {"Addr": "127.0.0.1"}), ("Address=::1", {"Addr": "::1"}),
    ("a=0.0.0.0", {"Addr": "0.0.0.0"}), ("Family=inet6", {"Family": "inet6"}),
    ("Family=unix, Addr=/var/run/sm.sock", {"Family": "local", "Addr": "/var/run/sm.sock"}),
    ("Family=LOCAL", {"Family": "local"}), ("Family=10", {"Family": 10}),
    ("Port=smtp", {"Port": "smtp"}), ("P=2525", {"Port": 2525}),
    ("Listen=100, SndBufSize=8192, RcvBufSize=4096", {"Listen": 100, "SndBufSize": 8192,
                                                      "RcvBufSize": 4096}),
    ("children=5, queueLA=4, refuseLA=9, delayLA=3", {"children": 5, "queueLA": 4,
                                                      "refuseLA": 9, "delayLA": 3}),
    ("DeliveryMode=queue", {"DeliveryMode": "q"}), ("Modifiers=hA S", {"Modifier": "hAS"}),
    ("InputMailFilters=a;b", {"InputMailFilters": "a;b"}),
    ("Name=MTA,,Port=25,junk", {"Name": "MTA", "Port": 25}),
    ("Name=  x", {"Name": "x"}),
])
def test_port_options_keys_go_by_first_letter(raw: str, settings: dict) -> None:
    assert value(f"DaemonPortOptions={raw}") == settings
    assert value(f"ClientPortOptions={raw}") == settings


@pytest.mark.parametrize("raw, text", [
    ("Port=25,Foo=bar", "Unknown address family bar in Family=option"),
    ("Family=x25", "Unknown address family x25 in Family=option"),
    ("D=z", "Unknown delivery mode z"), ("DeliveryMode=", "Unknown delivery mode "),
    ("Port=25x", 'expected a port number, got "25x"'),
    ("Listen=many", 'expected a number, got "many"'),
])
def test_port_option_errors(raw: str, text: str) -> None:
    assert error(f"DaemonPortOptions={raw}") == text


def test_port_option_unknown_key_is_reported_and_skipped() -> None:
    assert line(" DaemonPortOptions=T=true,Port=25")[1:] == (
        {"Port": 25}, [f'{WHERE}: PortOptions parameter "T=true" unknown'])


@pytest.mark.parametrize("raw, specs", [
    ("/etc/mail/aliases", ("/etc/mail/aliases",)),
    ("hash:/etc/a, /etc/b ,nis:mail.aliases", ("hash:/etc/a", "/etc/b", "nis:mail.aliases")),
    ('ldap:-k "(&(a=b),(c=d))" -v x, hash:/etc/a', ('ldap:-k "(&(a=b),(c=d))" -v x',
                                                    "hash:/etc/a")),
    ('"x,y"', ('"x', 'y"')), ("", ("aliases",)),
])
def test_alias_files(raw: str, specs: tuple[str, ...]) -> None:
    assert value(f"AliasFile={raw}") == specs


def test_macro_option() -> None:
    assert line("Mxhello world")[1] == ("x", "hello world")
    assert line("M{client_addr}127.0.0.1")[1] == ("{client_addr}", "127.0.0.1")
    assert line("M")[1] is None


# --- Timeout ---------------------------------------------------------------------------

@pytest.mark.parametrize("setting, name, seconds", [
    ("Timeout.queuereturn=5d", "Timeout.queuereturn", 432000),
    ("Timeout.queuereturn=5", "Timeout.queuereturn", 432000),
    ("Timeout.queuewarn=4", "Timeout.queuewarn", 14400),
    ("Timeout.queuewarn.non-urgent=12h", "Timeout.queuewarn.non-urgent", 43200),
    ("Timeout.queuereturn.dsn=2", "Timeout.queuereturn.dsn", 172800),
    ("Timeout.mail=10", "Timeout.mail", 600), ("timeout.HELO=5m", "Timeout.helo", 300),
    ("Timeout.resolver.retrans=5", "Timeout.resolver.retrans", 5),
    ("Timeout.resolver.retrans.first=2s", "Timeout.resolver.retrans.first", 2),
    ("Timeout.resolver.retry=4", "Timeout.resolver.retry", 4),
    ("Timeout.queuewarn.*=1h", "Timeout.queuewarn", 3600),
    ("Timeout.aconnect=0s", "Timeout.aconnect", 0),
    ("Timeout.starttls=1h", "Timeout.starttls", 3600),
])
def test_timeout_sub_options(setting: str, name: str, seconds: int) -> None:
    opt, typed, warnings = line(" " + setting)
    assert (opt.name, typed, warnings) == (name, seconds, [])


def test_bare_timeout_number_sets_the_six_command_timeouts() -> None:
    assert value("Timeout=5m") == dict.fromkeys(
        ("mail", "rcpt", "datainit", "datablock", "datafinal", "command"), 300)
    assert line("r10")[1]["mail"] == 600


def test_bare_timeout_list() -> None:
    opt, timeouts, warnings = line(" Timeout=queuereturn:3d,mail=5m, bogus, foo=1,,queuewarn=4")
    assert opt.name == "Timeout"
    assert timeouts == {"queuereturn": 259200, "mail": 300, "queuewarn": 14400}
    assert warnings == [f"{WHERE}: settimeout: invalid timeout foo"]


@pytest.mark.parametrize("text, message", [
    (" Timeout.foo=5m", "settimeout: invalid timeout foo"),
    (" Timeout.queuewarn.bogus=1h", "settimeout: invalid timeout queuewarn.bogus"),
    (" Timeout.=1h", "settimeout: invalid timeout "),
    (" Milter=3", "milter_set_option: invalid Milter option, must specify suboption"),
    (" Milter.foo=1", "milter_set_option: invalid Milter option foo"),
])
def test_bad_sub_options_set_nothing(text: str, message: str) -> None:
    assert line(text) == (None, None, [f"{WHERE}: {message}"])


def test_timeout_bad_unit() -> None:
    # sendmail converts queuereturn twice, so it complains twice
    opt, value, warnings = line(" Timeout.queuereturn=5x")
    assert warnings == ["sendmail.cf: line 7: Invalid time unit `x'"] * 2
    assert error("Timeout.resolver.retry=x") == 'expected a number, got "x"'


# --- the O line forms and their messages -----------------------------------------------

def test_long_form_blanks_around_the_equals() -> None:
    opt, level, warnings = line(" LogLevel = 12")
    assert (opt.name, level, warnings) == ("LogLevel", 12, [])


@pytest.mark.parametrize("text, message", [
    (" Foo=bar", "readcf: unknown option name Foo"),
    ("  QueueLA = 7", "readcf: unknown option name  QueueLA"),
    (" =5", "readcf: null option name"),
    (" Queue=x", "readcf: ambiguous option name Queue (matches QueueFactor and QueueDirectory)"),
    (" Hos=1", "readcf: ambiguous option name Hos (matches HostsFile and HostStatusDirectory)"),
    (" C=1", "readcf: ambiguous option name C "
             "(matches CheckpointInterval and ConnectionCacheSize)"),
    (" .foo=1", "readcf: ambiguous option name  (matches SevenBitInput and EightBitMode)"),
    ("W", "readcf: unknown option name 0x57"),
    ("", "readcf: unknown option name 0x0"),
    ("\tLogLevel=1", "readcf: unknown option name 0x9"),
    (" MaxForwardEntries=3", "readcf: unknown option name MaxForwardEntries"),
    (" DANE=true", "readcf: unknown option name DANE"),
    (" RemoteMode", "readcf: unknown option name RemoteMode"),
])
def test_settings_sendmail_does_not_take(text: str, message: str) -> None:
    assert line(text) == (None, None, [f"{WHERE}: {message}"])


def test_abbreviations_are_accepted_with_sendmails_message() -> None:
    opt, verbose, warnings = line(" Verb=True")
    assert (opt.name, verbose) == ("Verbose", True)
    assert warnings == [f"{WHERE}: Option Verb used as abbreviation for Verbose"]
    opt, seconds, warnings = line(" Timeo.mail=1m")
    assert (opt.name, seconds) == ("Timeout.mail", 60)
    assert warnings == [f"{WHERE}: Option Timeo used as abbreviation for Timeout"]


def test_command_line_messages_have_no_location() -> None:
    assert line(" Foo=bar", where="") == (None, None, ["readcf: unknown option name Foo"])
    assert line(" Milter.LogLevel=3", where="")[2] == [
        "option Milter.LogLevel is not implemented by monomail; ignored"]


def test_old_one_letter_form() -> None:
    assert line("L12")[0].name == "LogLevel" and line("L12")[1] == 12
    assert line("x 5")[1] == 5
    assert line("\x81host")[0].name == "QueueSortOrder"


def test_sub_option_of_a_plain_option_is_ignored() -> None:
    opt, verbose, warnings = line(" Verbose.sub=x")
    assert (opt.name, verbose, warnings) == ("Verbose", False, [])


@pytest.mark.parametrize("text, name", [
    (" InputMailFilters=a,b", "InputMailFilters"), (" Milter.LogLevel=3", "Milter.LogLevel"),
    (" Milter.macros.connect=j, _", "Milter.macros.connect"),
    (" LDAPDefaultSpec=-h localhost", "LDAPDefaultSpec"), (" StatusFile", "StatusFile"),
    (" Timeout.ident=5s", "Timeout.ident"), (" ForkEachJob", "ForkEachJob"),
    ("Y", "ForkEachJob"), (" SSLEngine=chil", "SSLEngine"),
])
def test_unimplemented_options_are_read_then_reported(text: str, name: str) -> None:
    opt, typed, warnings = line(text)
    assert opt.name == name and not opt.implemented
    assert warnings == [f"{WHERE}: option {name} is not implemented by monomail; ignored"]


def test_unimplemented_timeout_in_the_bare_list() -> None:
    assert line(" Timeout=ident:0,mail:1m")[2] == [
        f"{WHERE}: option Timeout.ident is not implemented by monomail; ignored"]


def test_parse_option_value_is_the_command_line_entry() -> None:
    assert parse_option_value(find_option("DeliveryMode"), "q") == "q"
    assert parse_option_value(find_option("Timeout.queuewarn"), "2") == 7200
    with pytest.raises(ConfigError) as caught:
        parse_option_value(find_option("LogLevel"), "lots", "-O")
    assert str(caught.value) == '-O: expected a number, got "lots"'


GENERIC_LINUX_CF_OPTIONS = """\
DontBlameSendmail=safe
LDAPDefaultSpec=-h localhost
SevenBitInput=False
EightBitMode=pass8
AliasWait=10
AliasFile=/etc/mail/aliases
MinFreeBlocks=100
MaxMessageSize=0
BlankSub=.
HoldExpensive=False
CheckpointInterval=10
DeliveryMode=background
ErrorHeader=/etc/mail/error-header
ErrorMode=print
SaveFromLine=False
QueueFileMode=0600
TempFileMode=0600
MatchGECOS=False
MaxHopCount=25
HelpFile=/etc/mail/helpfile
IgnoreDots=False
ResolverOptions=+AAONLY
SendMimeErrors=True
ForwardPath=$z/.forward.$w+$h:$z/.forward+$h:$z/.forward.$w:$z/.forward
ConnectionCacheSize=2
ConnectionCacheTimeout=5m
HostStatusDirectory=.hoststat
SingleThreadDelivery=False
UseErrorsTo=False
UseCompressedIPv6Addresses
LogLevel=9
MeToo=True
CheckAliases=False
OldStyleHeaders=True
DaemonPortOptions=Name=MTA
DaemonPortOptions=Port=587, Name=MSA, M=E
ClientPortOptions=Family=inet, Address=0.0.0.0
DirectSubmissionModifiers
UseMSP
PrivacyOptions=authwarnings
PostmasterCopy=Postmaster
QueueFactor=600000
MaxQueueChildren
MaxRunnersPerQueue=1
NiceQueueRun
QueueSortOrder=priority
MinQueueAge=30m
MaxQueueAge
MaxQueueRunSize=0
FastSplit=1
QueueDirectory=/var/spool/mqueue
SharedMemoryKey=0
SharedMemoryKeyFile
Timeout.initial=5m
Timeout.connect=5m
Timeout.aconnect=0s
Timeout.iconnect=5m
Timeout.helo=5m
Timeout.mail=10m
Timeout.rcpt=1h
Timeout.datainit=5m
Timeout.datablock=1h
Timeout.datafinal=1h
Timeout.rset=5m
Timeout.quit=2m
Timeout.misc=2m
Timeout.command=1h
Timeout.ident=5s
Timeout.fileopen=60s
Timeout.control=2m
Timeout.queuereturn=5d
Timeout.queuereturn.normal=5d
Timeout.queuereturn.urgent=2d
Timeout.queuereturn.non-urgent=7d
Timeout.queuereturn.dsn=5d
Timeout.queuewarn=4h
Timeout.queuewarn.normal=4h
Timeout.queuewarn.urgent=1h
Timeout.queuewarn.non-urgent=12h
Timeout.queuewarn.dsn=4h
Timeout.hoststatus=30m
Timeout.resolver.retrans=5s
Timeout.resolver.retrans.first=5s
Timeout.resolver.retrans.normal=5s
Timeout.resolver.retry=4
Timeout.resolver.retry.first=4
Timeout.resolver.retry.normal=4
Timeout.lhlo=2m
Timeout.auth=10m
Timeout.starttls=1h
DeliverByMin=0
DontPruneRoutes=False
SuperSafe=True
StatusFile
TimeZoneSpec=
UserDatabaseSpec=/etc/mail/userdb
FallbackMXhost=fall.back.host.net
FallbackSmartHost=fall.back.host.net
TryNullMXList=False
QueueLA=8
RefuseLA=12
RejectLogInterval=3h
DelayLA=0
MaxDaemonChildren=0
ConnectionRateThrottle=0
ConnectionRateWindowSize=60s
RecipientFactor=30000
ForkEachJob=False
ClassFactor=1800
RetryFactor=90000
DefaultCharSet=unknown-8bit
ServiceSwitchFile=/etc/mail/service.switch
HostsFile=/etc/hosts
DialDelay=0s
NoRecipientAction=none
SafeFileEnvironment
ColonOkInAddr=True
DontExpandCnames=False
SmtpGreetingMessage=$j Sendmail $v/$Z; $b
UnixFromLine=From $g $d
SingleLineFromHeader=False
AllowBogusHELO=False
MustQuoteChars=.
OperatorChars=.:%@!^/[]+
DontInitGroups=False
UnsafeGroupWrites=True
DoubleBounceAddress=postmaster
SoftBounce=False
DeadLetterDrop=/var/tmp/dead.letter
MaxRecipientsPerMessage=0
BadRcptThrottle=0
DontProbeInterfaces=False
RrtImpliesDsn=False
ConnectOnlyTo=0.0.0.0
TrustedUser=root
ControlSocketName=/var/spool/mqueue/.control
MaxMimeHeaderLength=0/0
MaxHeadersLength=32768
MaxAliasRecursion=10
PidFile=/var/run/sendmail.pid
ProcessTitlePrefix=prefix
DataFileBufferSize=4096
XscriptFileBufferSize=4096
MailboxDatabase=pw
RequiresDirfsync=true
AuthMechanisms=EXTERNAL GSSAPI KERBEROS_V4 DIGEST-MD5 CRAM-MD5
AuthRealm
DefaultAuthInfo=/etc/mail/default-auth-info
AuthOptions
AuthMaxBits
TLSSrvOptions
CipherList
ServerSSLOptions
ClientSSLOptions
SSLEngine
SSLEnginePath
TLSFallbacktoClear
InputMailFilters
CACertPath
CACertFile
ServerCertFile
ServerKeyFile
ClientCertFile
ClientKeyFile
CRLFile
CRLPath
DHParameters
RandFile
CertFingerprintAlgorithm
DANE=false
MaxNOOPCommands=20
HeloName
RejectNUL=false
"""


@pytest.mark.parametrize("setting", GENERIC_LINUX_CF_OPTIONS.splitlines())
def test_every_option_line_of_the_stock_generic_cf_reads(setting: str) -> None:
    """Each O line (commented or not) of cf/generic-linux.mc as m4 builds it."""
    opt, typed, warnings = line(" " + setting)
    if setting.startswith("DANE"):
        assert opt is None  # not built into the reference sendmail either
    else:
        assert opt is not None
        assert all("not implemented by monomail" in w for w in warnings), warnings


# --- Options ---------------------------------------------------------------------------

def apply(options: Options, *texts: str, sticky: bool = False) -> Options:
    for text in texts:
        opt, typed, _ = line(text)
        options = options.with_value(opt, typed, sticky)
    return options


def test_defaults() -> None:
    options = Options()
    assert options["LogLevel"] == 9 and options["loglevel"] == 9 and options["L"] == 9
    assert options["DeliveryMode"] == "b" and options["ErrorMode"] == "p"
    assert options["QueueLA"] % 8 == 0 and options["RefuseLA"] == options["QueueLA"] * 3 // 2
    assert options["Timeout.queuereturn.urgent"] == 432000
    assert options["Timeout.queuewarn"] == 0 and options["Timeout.rcpt"] == 3600
    assert options["Timeout.ident"] == 5 and options["Timeout.resolver.retry"] == 2
    assert options["PidFile"] == "/var/run/sendmail/mta/sendmail.pid"
    assert options["SmtpGreetingMessage"] == "\x81j Sendmail \x81v ready at \x81b"
    assert options["MaxMimeHeaderLength"] == (2048, 1024)
    assert options["DaemonPortOptions"] == () and options["AliasFile"] == ()
    assert options.get("NoSuchOption") is None and options.get("MaxForwardEntries") is None
    with pytest.raises(KeyError):
        options["NoSuchOption"]


def test_options_are_immutable() -> None:
    options = Options()
    changed = options.with_value("LogLevel", 14)
    assert (options["LogLevel"], changed["LogLevel"]) == (9, 14)
    with pytest.raises(TypeError):
        options["LogLevel"] = 1  # type: ignore[index]
    with pytest.raises(KeyError):
        options.with_value("NoSuchOption", 1)


def test_with_values_on_the_class_or_an_instance() -> None:
    assert Options.with_values({"LogLevel": 3})["LogLevel"] == 3
    assert Options({"loglevel": 4, "Timeout.mail": 60})["Timeout.mail"] == 60
    assert Options().with_values({"d": "q"})["DeliveryMode"] == "q"


def test_repeated_settings_accumulate_where_sendmails_do() -> None:
    options = apply(Options(), " AliasFile=/a", " AliasFile=/b,/c",
                    " DaemonPortOptions=Name=MTA", " DaemonPortOptions=Port=587",
                    " DaemonPortOptions=Family=inet6", " PrivacyOptions=noexpn",
                    "pnovrfy", " ResolverOptions=+aaonly", " ResolverOptions=-dnsrch -aaonly",
                    "Mxhello", "M{y}there", " AuthOptions=p", " AuthOptions=y",
                    " ServerSSLOptions=SSL_OP_ALL", " ServerSSLOptions=-SSL_OP_NO_TICKET")
    assert options["AliasFile"] == ("/a", "/b", "/c")
    assert options["DaemonPortOptions"] == ({"Name": "MTA"}, {"Port": 587, "Name": "Daemon1"},
                                            {"Family": "inet6", "Name": "Daemon2"})
    assert options["PrivacyOptions"] == {"noexpn", "novrfy"}
    assert options["ResolverOptions"] == {"aaonly": False, "dnsrch": False}
    assert options["M"] == {"x": "hello", "{y}": "there"}
    assert options["AuthOptions"] == frozenset("py")
    assert options["ServerSSLOptions"] == (("SSL_OP_ALL", True), ("SSL_OP_NO_TICKET", False))


def test_client_port_options_are_kept_per_family() -> None:
    options = apply(Options(), " ClientPortOptions=Family=inet, Port=25",
                    " ClientPortOptions=Family=inet6, Addr=::1",
                    " ClientPortOptions=Addr=192.0.2.1")
    assert options["ClientPortOptions"] == (
        {"Family": "inet6", "Addr": "::1", "Name": "Client10"},
        {"Addr": "192.0.2.1", "Name": "Client2"})


def test_dont_blame_sendmail_safe_clears_earlier_settings() -> None:
    options = apply(Options(), " DontBlameSendmail=groupwritablealiasfile",
                    " DontBlameSendmail=assumesafechown")
    assert options["DontBlameSendmail"] == {"groupwritablealiasfile", "assumesafechown"}
    options = apply(options, " DontBlameSendmail=safe,truststickybit")
    assert options["DontBlameSendmail"] == {"truststickybit"}


def test_one_setting_that_sets_others() -> None:
    options = apply(Options(), " QueueTimeout=3d/2h", " MinFreeBlocks=10/500",
                    " DefaultUser=0:0", " UnsafeGroupWrites=false")
    assert options["Timeout.queuereturn"] == options["Timeout.queuereturn.dsn"] == 259200
    assert options["Timeout.queuewarn.urgent"] == 7200
    assert options["QueueTimeout"] == (259200, 7200)
    assert (options["MinFreeBlocks"], options["MaxMessageSize"]) == (10, 500)
    assert (options["DefaultUser"], options["g"]) == (UserSpec("0", "0"), "0")
    assert options["DontBlameSendmail"] == {"groupwritableforwardfilesafe",
                                            "groupwritableincludefilesafe"}
    assert apply(Options(), " MinFreeBlocks=7")["MaxMessageSize"] == 0


def test_general_timeouts_fan_out_and_specific_ones_do_not() -> None:
    options = apply(Options(), " Timeout.queuewarn=4h", " Timeout.queuewarn.urgent=1h",
                    " Timeout.resolver.retrans=3s", " Timeout=5m")
    assert options["Timeout.queuewarn.normal"] == options["Timeout.queuewarn.dsn"] == 14400
    assert options["Timeout.queuewarn.urgent"] == 3600
    assert options["Timeout.resolver.retrans.first"] == 3
    assert options["Timeout.command"] == 300 and options["Timeout.helo"] == 300
    assert options["Timeout"]["queuewarn.non-urgent"] == 14400


def test_command_line_settings_are_sticky() -> None:
    options = apply(Options(), " DeliveryMode=q", " Timeout.queuereturn=1d",
                    " PrivacyOptions=noexpn", sticky=True)
    options = apply(options, " DeliveryMode=i", " QueueTimeout=5d/4h",
                    " PrivacyOptions=novrfy", " LogLevel=3")
    assert options["DeliveryMode"] == "q"
    assert options["Timeout.queuereturn.normal"] == 86400
    assert options["Timeout.queuewarn.normal"] == 14400
    assert options["PrivacyOptions"] == {"noexpn", "novrfy"}
    assert options["LogLevel"] == 3
    assert "DeliveryMode" in options.sticky and "PrivacyOptions" not in options.sticky


def test_config_level_defaults() -> None:
    assert Options.for_config_level(10)["ColonOkInAddr"] is False
    assert Options.for_config_level(5)["ColonOkInAddr"] is True


def test_iteration_and_repr() -> None:
    options = Options().with_value("LogLevel", 12)
    assert "LogLevel" in options and "Timeout.mail" in list(options)
    assert len(options) == len(list(options))
    assert repr(options) == "Options({'LogLevel': 12})"
    assert isinstance(find_option("LogLevel"), OptionDef)


def test_monomail_options_are_exact_names_outside_sendmails_table() -> None:
    from monomail.config.options import parse_option_line
    opt, value, notes = parse_option_line(" Monomail.LogFile=/var/log/monomail", "f: line 1")
    assert (opt.name if opt else None, value, notes) == ("Monomail.LogFile", "/var/log/monomail", [])
    assert parse_option_line(" Monomail.Log=/x", "f: line 2")[2] == \
        ["f: line 2: readcf: unknown option name Monomail.Log"]
    # sendmail's own abbreviations are unchanged by monomail's names
    assert parse_option_line(" Log=9", "f: line 3")[2] == \
        ["f: line 3: Option Log used as abbreviation for LogLevel"]
