"""The workers of the concurrency stress test (concurrency.py) and the
model of what they did. Each worker is one thread running real `webstack`
processes one after the other. Most of its operations are on addresses
only it uses, so the outcome of each is known from the worker's own
earlier successes: the worker picks its next operation from that model,
checks the exit status and updates the model only when the operation
succeeded. A few operations are on names every worker uses:
- CONTENDED_ADD: every worker adds the same account, with its own password;
  exactly one may succeed, the others must get 73 (already exists);
- CONTENDED_DEL: every worker deletes the same imported account; exactly
  one may succeed, the others must get 67 (no such account);
- SHARED alias: every worker adds one of its accounts as a target of the
  same alias (targets are merged, so none may be lost), and the alias loses
  a target when that account is deleted.
Exit 75 (lock busy) is recorded as a lock wait: the operation did not
happen."""
import random
import threading
import time

import wslib as w

DOMAINS = ("d1.example", "d2.example", "d3.example")
CONTENDED_ADD = "contended-add@d1.example"
CONTENDED_DEL = "contended-del@d2.example"
SHARED = "shared@d3.example"
EX_OK, EX_NOUSER, EX_CANTCREAT, EX_TEMPFAIL = 0, 67, 73, 75


class Op:
    def __init__(self, worker, kind, args, want, seconds, result):
        self.worker, self.kind, self.args, self.want = worker, kind, args, want
        self.seconds, self.rc, self.err = seconds, result.rc, result.err.strip()

    def __str__(self):
        return "worker %d %s: webstack %s: exit %d, wanted %s: %s" % (
            self.worker, self.kind, " ".join(self.args), self.rc, self.want,
            self.err)


class Worker:
    def __init__(self, index, own_ops, seed):
        self.index = index
        self.rng = random.Random("%s-%d" % (seed, index))
        self.accounts = {}    # address: current password
        self.passwords = {}   # address: every password it ever had, in order
        self.aliases = {}     # alias: [targets]
        self.joined = set()   # own accounts that are targets of SHARED
        self.kept = set()     # deleted without --purge: their Maildir stays
        self.ops = []
        self.serial = 0
        self.contended_pw = "pw-contended-w%02d" % index
        # the shared operations go at random places among its own ones
        plan = ["own"] * own_ops + ["contended-add", "contended-del", "join"]
        self.rng.shuffle(plan)
        self.plan = plan
        self.crash = None  # what the thread raised, if it did

    def fresh(self, kind):
        self.serial += 1
        return "w%02d%s%d@%s" % (self.index, kind, self.serial,
                                 self.rng.choice(DOMAINS))

    def password(self):
        self.serial += 1
        return "pw-w%02d-%d-%08x" % (self.index, self.serial,
                                      self.rng.getrandbits(32))

    def run(self, barrier):
        barrier.wait()
        try:
            self.steps()
        except Exception as e:  # shown by the test, which then fails
            self.crash = "%s: %s" % (type(e).__name__, e)

    def steps(self):
        for step in self.plan:
            if step == "contended-add":
                self.do(step, None, "mail", "add", "account", CONTENDED_ADD,
                        self.contended_pw)
            elif step == "contended-del":
                self.do(step, None, "mail", "del", "account", "--purge",
                        CONTENDED_DEL)
            elif step == "join":
                if not self.accounts:
                    self.add_account()
                if not self.accounts:  # that add was a lock wait
                    continue
                target = self.rng.choice(sorted(self.accounts))
                if self.do(step, EX_OK, "mail", "add", "alias", SHARED, target):
                    self.joined.add(target)
            else:
                self.own_op()

    def do(self, kind, want, *args):
        """Runs one operation and records it; True when it exited 0. want is
        the expected status, None when only the outcome of the whole storm
        tells (the contended names)."""
        r = w.ws(*args)
        self.ops.append(Op(self.index, kind, list(args), want, r.seconds, r))
        return r.rc == EX_OK

    def own_op(self):
        choices = ["add account"] * 2 + ["passwd"] * 3 + ["add alias"] * 2 + \
            ["del account", "add existing"]
        if self.aliases:
            choices.append("del alias")
        kind = self.rng.choice(choices) if self.accounts else "add account"
        if kind == "add account":
            self.add_account()
        elif kind == "passwd":
            address = self.rng.choice(sorted(self.accounts))
            pw = self.password()
            if self.do(kind, EX_OK, "mail", "passwd", address, pw):
                self.set_password(address, pw)
        elif kind == "add existing":
            address = self.rng.choice(sorted(self.accounts))
            self.do(kind, EX_CANTCREAT, "mail", "add", "account", address,
                    self.password())
        elif kind == "add alias":
            self.add_alias()
        elif kind == "del alias":
            alias = self.rng.choice(sorted(self.aliases))
            if self.do(kind, EX_OK, "mail", "del", "alias", alias):
                del self.aliases[alias]
        elif kind == "del account":
            address = self.rng.choice(sorted(self.accounts))
            purge = self.rng.random() < 0.5
            if self.do(kind, EX_OK, "mail", "del", "account", address,
                       *(["--purge"] if purge else [])):
                self.forget(address)
                if not purge:
                    self.kept.add(address)

    def add_account(self):
        """A new address, or one this worker deleted before (re-add)."""
        gone = sorted(set(self.passwords) - set(self.accounts))
        if gone and self.rng.random() < 0.5:
            address = self.rng.choice(gone)
        else:
            address = self.fresh("a")
        pw = self.password()
        if self.do("add account", EX_OK, "mail", "add", "account", address, pw):
            self.set_password(address, pw)

    def add_alias(self):
        """A new alias to one of its accounts, or one more target for an
        alias it has."""
        target = self.rng.choice(sorted(self.accounts))
        more = [a for a, t in sorted(self.aliases.items()) if target not in t]
        alias = self.rng.choice(more) if more and self.rng.random() < 0.4 \
            else self.fresh("x")
        if self.do("add alias", EX_OK, "mail", "add", "alias", alias, target):
            self.aliases.setdefault(alias, []).append(target)

    def set_password(self, address, pw):
        self.kept.discard(address)
        self.accounts[address] = pw
        self.passwords.setdefault(address, []).append(pw)

    def forget(self, address):
        """A deleted account leaves every alias; an alias left without
        targets goes."""
        del self.accounts[address]
        self.joined.discard(address)
        for alias in list(self.aliases):
            targets = [t for t in self.aliases[alias] if t != address]
            if targets:
                self.aliases[alias] = targets
            else:
                del self.aliases[alias]


def storm(workers):
    """Starts every worker at once (a barrier), waits for all of them;
    returns the seconds from the start to the last one's end."""
    barrier = threading.Barrier(len(workers) + 1)
    threads = [threading.Thread(target=wk.run, args=(barrier,)) for wk in workers]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.monotonic()
    for t in threads:
        t.join()
    return time.monotonic() - start
