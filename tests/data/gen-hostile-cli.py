#!/usr/bin/python3
"""Writes hostile-cli.txt, the cases of tests/cli/hostile.test: hostile
names, targets and passwords given to the commands that change the mail
directory. Run it from anywhere after changing the lists below; commit both.

Output, one case a line: EXIT|TODO|NAME|STDIN|ARG|ARG...|. (the "." keeps
a last empty ARG from being read as no field). TODO is empty or
why the case is a known failure. NAME is printable ASCII without '|'. STDIN ("-" for none) and each ARG are encoded for printf %b: any
byte but [A-Za-z0-9] as a \\0ooo octal escape (dash's printf has no \\xNN),
so no field holds a '|'. argv cannot carry NUL, so NUL only goes in STDIN.
"""
import os

PW = b"Correct-Horse-9"       # a password every scheme takes
GOOD = b"user@example.com"    # an address that passes validation

# Domains (also used as the domain of addresses and alias targets).
DOMAINS = [
    b"", b".", b"..", b"../etc", b"..%2fetc", b"a/../../etc", b"/etc",
    b"etc/passwd", b"x.com/../../root", b".example.com", b"example.com.",
    b"example..com", b"-example.com", b"example-.com", b"--root",
    b"-rf", b"exa_mple.com", b"exa mple.com", b" example.com",
    b"example.com ", b"\texample.com", b"example.com\t", b"example.com\n",
    b"example.com\nevil.com", b"example.com\r\nevil.com", b"ex:ample.com",
    b"example.com:", b"example.com:5000:5000", b"#example.com",
    b"example.com#", b"example.com,evil.com", b"@example.com",
    b"example.com@evil.com", b"exam+ple.com", b"exam=ple.com",
    b"example.com;rm", b"$(id).com", b"`id`.com", b"ex*ample.com",
    b"example.com/", b"example.com\\", b"example.com\x7f",
    b"example.com\x1b[31m", b"a" * 64 + b".com", b"b" * 250 + b".com",
    b".".join([b"a" * 63] * 4) + b".com", b"xn--.com", b"xn--a.com",
    b"xn--zz-.com", b"xn--ls8h-x.com", b"xn--caf-dma\xff.com",
    b"example.\xff", b"\xc3.com", b"\xc3\x28.com", b"\xed\xa0\x80.com",
    b"\xf4\x90\x80\x80.com", b"\xc0\xaf.com", b"\xe2\x80\x8b.com",
    ("\u0430" * 60 + ".com").encode(), b"127.0.0.1", b"[127.0.0.1]",
    b"localhost", b"com", b"123.com.456",
]

# Local parts (address = LOCAL@example.com).
LOCALS = [
    b"", b".", b"..", b"../../etc/passwd", b"a/../../root", b"/root",
    b"a/b", b".hidden", b"a.", b"a..b", b"-rf", b"--root", b"-", b"a b",
    b" a", b"a ", b"\ta", b"a\t", b"a\n", b"a\nroot", b"a\r\nroot", b"a\rb",
    b"a:b", b":a", b"a:", b"a:{PLAIN}pw:0:0::/root::",
    b"a:{PLAIN}pw:5000:5000::/var/mail/vhosts/victim::", b"#a", b"a#",
    b"a,b", b"a,root", b"a@b", b"a+b", b"a+", b"+a", b"a=b", b"a\"b",
    b"\"a b\"", b"a(b)", b"a<b>", b"a[b]", b"a;b", b"a|b", b"a\\b",
    b"a*", b"a?", b"a%b", b"a!b", b"$(id)", b"`id`", b"a\x7f",
    b"a\x1b[31m", b"a" * 65, b"a" * 300, b"\xc3\xa9", b"a\xff",
    b"\xe2\x80\x8b",
]

# Whole addresses that do not split into LOCAL@DOMAIN above.
ADDRESSES = [
    b"", b"@", b"a@", b"@example.com", b"a@@example.com", b"a@b@example.com",
    b"example.com", b"a@example.com@", b"a@example.com,b@example.com",
    b"a@example.com b@example.com", b"a@example.com\nb@example.com",
    b"-rf@x.com", b"--root@x.com", b"a" * 64 + b"@" + b"b" * 186 + b".com",
    b"user@example.com:{PLAIN}x:0:0::/root::",
]

# Passwords refused whatever the scheme (argv and stdin).
PASSWORDS = [
    b"", b"short", b"a" * 7, b"a" * 1025, b"a" * 10000,
    b"good-pass\nroot", b"good-pass\r", b"good-pass\rroot", b"\ngood-pass",
    b"good\r\npass",
]
# Passwords only stdin can carry: the first line is the password.
STDIN_PASSWORDS = [
    b"\n", b"", b"\r\n", b"good-pass\r\n", b"good\x00pass\n",
    b"\x00good-pass\n", b"good-pass\x00", b"a" * 10000 + b"\n",
    b"a" * 1025 + b"\n", b"\ngood-pass\n", b"short\n",
]


def enc(b):
    return "".join(chr(c) if chr(c).isalnum() and c < 128 else "\\0%03o" % c
                   for c in b)


def show(b):
    s = b.decode("latin-1")
    if len(s) > 40:
        s = "%s...(%d bytes)" % (s[:24], len(b))
    return "".join(c if " " <= c <= "~" and c != "|" else "\\x%02x" % ord(c)
                   for c in s)


cases = []


def case(code, name, args, stdin=None, todo=""):
    cases.append("%d|%s|%s|%s|%s" % (code, todo, name,
                                     "-" if stdin is None else enc(stdin),
                                  "|".join(enc(a) for a in args) + "|."))


for d in DOMAINS:
    s = show(d)
    case(65, "add domain '%s'" % s, [b"mail", b"add", b"domain", b"--", d])
    case(65, "del domain '%s'" % s, [b"mail", b"del", b"domain", b"--", d])
    case(65, "add account in '%s'" % s,
         [b"mail", b"add", b"account", b"--", b"user@" + d, PW])
    case(65, "add alias in '%s'" % s,
         [b"mail", b"add", b"alias", b"--", b"al@" + d, GOOD])
    case(65, "alias target in '%s'" % s,
         [b"mail", b"add", b"alias", b"--", b"al@example.com", b"t@" + d])

for local in LOCALS:
    s = show(local)
    a = local + b"@example.com"
    case(65, "add account '%s'" % s, [b"mail", b"add", b"account", b"--", a, PW])
    case(65, "passwd '%s'" % s, [b"mail", b"passwd", b"--", a, PW])
    case(65, "del account '%s'" % s, [b"mail", b"del", b"account", b"--", a])
    case(65, "add alias '%s'" % s, [b"mail", b"add", b"alias", b"--", a, GOOD])
    case(65, "del alias '%s'" % s, [b"mail", b"del", b"alias", b"--", a])
    if b"+" not in local and b"=" not in local:  # targets may have them
        case(65, "alias target '%s'" % s,
             [b"mail", b"add", b"alias", b"--", b"al@example.com", a])

for a in ADDRESSES:
    s = show(a)
    case(65, "add account address '%s'" % s,
         [b"mail", b"add", b"account", b"--", a, PW])
    case(65, "add alias address '%s'" % s,
         [b"mail", b"add", b"alias", b"--", a, GOOD])
    if b"," not in a:  # a list of targets
        case(65, "alias target address '%s'" % s,
             [b"mail", b"add", b"alias", b"--", b"al@example.com", a])

# Mixed scripts: homographs of ASCII names. IDNA2008 (libidn2) allows them.
for d in [b"pa\xd1\x83pal.com", b"\xce\xb1\xd0\xb1.com"]:
    case(65, "add domain '%s' (mixed scripts)" % show(d),
         [b"mail", b"add", b"domain", b"--", d],
         todo="the validator accepts mixed-script labels")

for t in [b"a@example.com,", b",a@example.com", b"a@example.com,,b@example.com",
          b"user@example.com,a:b@example.com", b"user@example.com,a\n@example.com",
          b"al@example.com"]:
    case(65, "alias targets '%s'" % show(t),
         [b"mail", b"add", b"alias", b"--", b"al@example.com", t])

for pw in PASSWORDS:
    s = show(pw)
    case(65, "add account password '%s'" % s,
         [b"mail", b"add", b"account", b"--", GOOD, pw])
    case(65, "passwd password '%s'" % s, [b"mail", b"passwd", b"--", GOOD, pw])
    if not pw.startswith(b"good-pass\n"):  # the first line is the password
        case(65, "add account password on stdin '%s'" % s,
             [b"mail", b"add", b"account", b"--password-stdin", b"--", GOOD], pw)
for pw in STDIN_PASSWORDS:
    s = show(pw)
    case(65, "add account password on stdin '%s'" % s,
         [b"mail", b"add", b"account", b"--password-stdin", b"--", GOOD], pw)
    case(65, "passwd password on stdin '%s'" % s,
         [b"mail", b"passwd", b"--password-stdin", b"--", GOOD], pw)

# Without "--" a leading '-' is an option: usage errors (64), never data.
for args in [
        [b"mail", b"add", b"account", b"-rf@x.com", PW],
        [b"mail", b"add", b"domain", b"--root"],
        [b"mail", b"add", b"domain", b"--root", b"/"],
        [b"mail", b"add", b"domain", b"-x"],
        [b"mail", b"del", b"domain", b"--force"],
        [b"mail", b"add", b"account", GOOD, b"-p"],
        [b"mail", b"add", b"account", GOOD, b"--password=x"],
        [b"mail", b"add", b"alias", b"al@example.com", b"-t"],
        [b"mail", b"del", b"alias", b"--purge"],
        [b"mail", b"passwd", b"-", PW, b"extra"],
        [b"mail", b"add", b"account", GOOD, PW, b"--password-stdin"]]:
    case(64, "option injection: %s" % show(b" ".join(args)), args)

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "hostile-cli.txt"), "w") as f:
    f.write("# Generated by gen-hostile-cli.py: do not edit, run it.\n")
    f.write("\n".join(cases) + "\n")
print("%d cases" % len(cases))
