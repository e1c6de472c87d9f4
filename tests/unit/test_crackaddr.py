"""crackaddr against what sendmail 8.17 prints for `-bt /parse` ("Cracked address = ...")."""

import pytest

from monomail.rewrite.crackaddr import crackaddr
from monomail.rewrite.tokens import MACROEXPAND

# (address, sendmail's template) as captured from sendmail -bt, V10 cf (ColonOkInAddr off)
CASES = [
    ('joe', '$g'),
    ('Joe Bloggs <joe@x>', 'Joe Bloggs <$g>'),
    ('"Joe Q. Public" <joe@x>', '"Joe Q. Public" <$g>'),
    ('joe@x (Joe)', '$g (Joe)'),
    ('(Joe) joe@x', '(Joe) $g'),
    ('group: a@b, c@d;', 'group: $g;'),
    ('a <b> <c>', '"a <b>" <$g>'),
    ('a>b', '$g'),
    ('"unclosed', '$g'),
    ('(unclosed', '(unclosed)'),
    ('a\\b@c', '$g'),
    ('a:b@c', 'a:$g'),
    ('host::user', '$g'),
    ('Joe.Bloggs <joe@x>', '"Joe.Bloggs" <$g>'),
    ('<>', '<>'),
    (' leading@x', ' $g'),
    ('x@[1.2.3.4]', '$g'),
    ('Name, Comma <a@b>', '"Name, Comma" <$g>'),
    ('a(b)c<d@e>', 'a(b)c<$g>'),
    ('"q" <"a b"@c>', '"q" <$g>'),
    ('<@r1,@r2:u@h>', '<$g>'),
    ('a;b', '$g;'),
    ('x <y@z> (c) extra', 'x <$g> (c) extra'),
    ('((nested)) a@b', '((nested)) $g'),
]


@pytest.mark.parametrize("address,template", CASES)
def test_template_as_sendmail_prints_it(address: str, template: str) -> None:
    assert crackaddr(address).replace(MACROEXPAND + "g", "$g") == template


def test_colon_ok_keeps_group_syntax_out() -> None:
    assert crackaddr("a:b@c", colon_ok=True).replace(MACROEXPAND + "g", "$g") == "$g"


def test_template_too_long_falls_back_to_angle_g() -> None:
    assert crackaddr("(" + "a" * 300 + ") b@c").replace(MACROEXPAND + "g", "$g") == "<$g>"
    assert crackaddr('x <b@c> "' + "y" * 300 + '"').replace(MACROEXPAND + "g", "$g") == "<$g>"
