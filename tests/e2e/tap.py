"""A tiny TAP producer for the end-to-end tests: ok/not ok lines, diag,
the plan at the end. A failing check prints what it got."""
import sys
import traceback

sys.stdout.reconfigure(line_buffering=True)

count = 0
failed = 0
_on_failure = []


def diag(*msgs):
    for msg in msgs:
        for line in str(msg).splitlines() or [""]:
            print("# " + line)


def ok(cond, desc, got=None):
    """One test point; when it fails, `got` (if given) is shown."""
    global count, failed
    count += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (count, desc))
    if not cond:
        failed += 1
        if got is not None:
            diag("got: " + str(got) if "\n" not in str(got) else "got:\n" + str(got))
    return bool(cond)


def eq(got, want, desc):
    return ok(got == want, desc, "%r, wanted %r" % (got, want))


def skip(desc, reason):
    global count
    count += 1
    print("ok %d - %s # SKIP %s" % (count, desc, reason))


def attempt(desc, fn, *args, **kw):
    """Runs fn; ok when it returns a true value (or None) without raising.
    Returns (passed, value)."""
    try:
        value = fn(*args, **kw)
    except Exception as e:
        ok(False, desc, "%s: %s" % (type(e).__name__, e))
        diag("".join(traceback.format_exc().splitlines(True)[-4:]))
        return False, None
    passed = value is None or bool(value)
    ok(passed, desc, None if passed else repr(value))
    return passed, value


def on_failure(fn):
    """Registers fn to run (for diagnostics) at done() when a check failed."""
    _on_failure.append(fn)


def bail_out(reason):
    for fn in _on_failure:
        fn()
    print("Bail out! " + reason)
    sys.exit(1)


def done():
    if failed:
        for fn in _on_failure:
            try:
                fn()
            except Exception as e:
                diag("diagnostics failed: %s" % e)
    print("1..%d" % count)
    sys.exit(1 if failed else 0)
