"""`webstack mail import FILE`: 200 accounts from a file ("address
password" and "address,password" lines, comments, a CRLF line) in one
transaction; every one is listed, a sample logs in over IMAP and receives
mail. From standard input too. A bad line (a bad address, a short
password, a duplicate, an unknown domain, an existing account) stops the
import with the file and line, the right exit status, and nothing
changed."""
import os
import tempfile

import tap
import wslib as w
from tap import ok, eq

w.setup()
w.expect(0, "mail", "add", "domain", "example.com")
d = tempfile.mkdtemp()


def write(name, lines):
    path = os.path.join(d, name)
    with open(path, "w", newline="") as f:
        f.write("".join(lines))
    return path


lines = ["# accounts for the import test\n", "\n"]
for i in range(200):
    sep = "," if i % 2 else "  "
    end = "\r\n" if i == 7 else "\n"
    lines.append("user%03d@Example.COM%spw-%03d-secret%s" % (i, sep, i, end))
good = write("good.txt", lines)

before = w.tree_digest()
for name, body, rc, where in (
        ("badaddr", lines[:60] + ["not an address pw-xxxxxxxx\n"], 65, ":61:"),
        ("short", lines[:10] + ["short@example.com abc\n"], 65, ":11:"),
        ("nopw", lines[:5] + ["nopw@example.com\n"], 65, ":6:"),
        ("dup", lines[:20] + [lines[5]], 65,
         ":21: user003@example.com is on line 6 already"),
        ("domain", lines[:30] + ["x@example.org pw-12345678\n"], 67, ":31:")):
    r = w.expect(rc, "mail", "import", write(name + ".txt", body),
                 desc="import with a bad line (%s)" % name)
    ok(where in r.err, "the message names the line (%s)" % where, r.err)
eq(w.digest_diff(before, w.tree_digest()), "", "bad imports change nothing")

r = w.expect(0, "mail", "import", good, desc="import of 200 accounts")
tap.diag("import of 200 accounts took %.2f s" % r.seconds)
listed = w.expect(0, "mail", "list", "accounts").out.split()
eq(sum(1 for a in listed if a.startswith("user")), 200, "all 200 are listed")
ok("user007@example.com" in listed, "the CRLF line's address, normalised")
for i in (0, 7, 123, 199):
    ok(w.imap_login_ok("user%03d@example.com" % i, "pw-%03d-secret" % i),
       "user%03d logs in with its password" % i)
token = w.send("someone@example.org", "user150@example.com")
ok(w.wait_delivery("user150@example.com", token)[0], "mail reaches user150")

r = w.expect(73, "mail", "import", write("again.txt", lines[2:4]),
             desc="import of an existing account")
ok(":1:" in r.err, "names the line of the existing account", r.err)
w.expect(0, "mail", "import", "-", input="stdin1@example.com pw-stdin-123\n",
         desc="import from standard input")
ok(w.imap_login_ok("stdin1@example.com", "pw-stdin-123"), "and that account works")
w.expect(66, "mail", "import", os.path.join(d, "missing.txt"), desc="a missing file")
tap.done()
