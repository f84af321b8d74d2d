"""The reference for the delivery benchmark: a minimal Postfix + Dovecot
configuration written by hand, as an admin would without webstack. One
virtual mailbox domain, an lmdb map of its accounts, LMTP to Dovecot over
Postfix's private socket, a passwd-file of the same accounts, Maildirs
under /var/mail/vhosts owned by one vmail user (made beforehand, as
webstack makes them when it adds an account). Only inside the sandbox:
it overwrites main.cf and dovecot.conf."""
import os
import subprocess

import benchlib as b

ROOT = "/var/mail/vhosts"
USERS = "/etc/dovecot/users"

MAIN_CF = """\
compatibility_level = 3.6
myhostname = mail.example.test
mydestination = localhost
inet_interfaces = all
mynetworks = 127.0.0.0/8 [::1]/128
alias_maps =
alias_database =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
virtual_mailbox_domains = {domain}
virtual_mailbox_maps = lmdb:/etc/postfix/vmailbox
virtual_transport = lmtp:unix:private/dovecot-lmtp
"""

DOVECOT_CONF = """\
protocols = lmtp
ssl = no
log_path = /var/log/dovecot.log
first_valid_uid = {uid}
mail_location = maildir:{root}/%d/%n
passdb {{
  driver = passwd-file
  args = {users}
}}
userdb {{
  driver = passwd-file
  args = {users}
}}
service lmtp {{
  unix_listener /var/spool/postfix/private/dovecot-lmtp {{
    user = postfix
    group = postfix
    mode = 0600
  }}
}}
protocol lmtp {{
  postmaster_address = postmaster@mail.example.test
}}
"""


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def start(names):
    """Configures and starts the reference stack with accounts names."""
    subprocess.run(["useradd", "-r", "-M", "-d", ROOT, "-s", "/usr/sbin/nologin",
                    "vmail"], check=True)
    uid = int(subprocess.run(["id", "-u", "vmail"], capture_output=True,
                             text=True, check=True).stdout)
    gid = int(subprocess.run(["id", "-g", "vmail"], capture_output=True,
                             text=True, check=True).stdout)
    # The Maildirs exist before the first message, as webstack makes them.
    for n in names:
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(ROOT, b.DOMAIN, n, sub), mode=0o700)
    subprocess.run(["chown", "-R", "%d:%d" % (uid, gid), ROOT], check=True)
    addresses = ["%s@%s" % (n, b.DOMAIN) for n in names]
    write("/etc/postfix/main.cf", MAIN_CF.format(domain=b.DOMAIN))
    write("/etc/postfix/vmailbox", "".join("%s OK\n" % a for a in addresses))
    subprocess.run(["postmap", "lmdb:/etc/postfix/vmailbox"], check=True)
    write(USERS, "".join("%s:{PLAIN}%s:%d:%d::%s/%s/%s::\n" % (
        a, b.password(n), uid, gid, ROOT, b.DOMAIN, n) for a, n in zip(addresses, names)))
    write("/etc/dovecot/dovecot.conf", DOVECOT_CONF.format(uid=uid, root=ROOT, users=USERS))
    subprocess.run(["dovecot"], check=True)
    subprocess.run(["postfix", "start"], check=True, capture_output=True)
