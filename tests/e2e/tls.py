"""testssl.sh (Debian's /usr/bin/testssl, 3.0.x) against SMTPS 465,
submission 587 (STARTTLS) and IMAPS 993: no SSLv2, SSLv3, TLS 1.0 or
TLS 1.1 offered, and no finding rated HIGH or CRITICAL.

Checks run: protocols (-p), cipher categories (-s) and vulnerabilities (-U);
the three ports in parallel, since testssl is slow. Server defaults (-S) are
left out: for the self-signed certificate setup makes, testssl rates the
missing CRL/OCSP URI HIGH whatever the TLS setup (spec.test checks that the
certificate verifies for the host name). No network is reachable from the
sandbox anyway; --nodns none and the default (no --phone-out) keep testssl
from even trying DNS, OCSP or CRL fetches."""
import json
import os
import shutil
import subprocess
import tempfile
import time

import tap
import wslib as w
from tap import ok, diag

TESTSSL = shutil.which("testssl") or shutil.which("testssl.sh")
TARGETS = [(465, []), (587, ["--starttls", "smtp"]), (993, [])]
OLD = ("SSLv2", "SSLv3", "TLS1", "TLS1_1")

w.setup()
out = tempfile.mkdtemp()
runs = {}
start = time.monotonic()
for port, extra in TARGETS:
    json_path = os.path.join(out, "%d.json" % port)
    log = open(os.path.join(out, "%d.txt" % port), "w")
    cmd = [TESTSSL, "--quiet", "--color", "0", "--warnings", "off",
           "--nodns", "none", "--ip", "127.0.0.1", "-p", "-s", "-U",
           "--jsonfile", json_path] + extra + ["%s:%d" % (w.HOST, port)]
    runs[port] = (subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                   cwd=out), json_path, log)
for port, (proc, json_path, log) in runs.items():
    proc.wait()
    log.close()
    diag("testssl on %d: exit %d after %.0f s" % (port, proc.returncode,
                                                  time.monotonic() - start))
    try:
        with open(json_path) as f:
            findings = json.load(f)
    except (OSError, ValueError) as e:
        ok(False, "%d: testssl wrote its JSON findings" % port, e)
        with open(log.name) as f:
            diag(f.read()[-3000:])
        continue
    by_id = {f["id"]: f for f in findings}
    offered = by_id.get("TLS1_2", {}).get("finding", "")
    ok(offered.startswith("offered"), "%d: TLS 1.2 is offered (the scan reached the server)"
       % port, by_id.get("TLS1_2"))
    for proto in OLD:
        finding = by_id.get(proto, {}).get("finding", "(not tested)")
        ok(finding.startswith("not offered"), "%d: %s not offered" % (port, proto), finding)
    bad = ["%s %s: %s" % (f["severity"], f["id"], f["finding"]) for f in findings
           if f.get("severity") in ("HIGH", "CRITICAL", "FATAL")]
    ok(not bad, "%d: no finding rated HIGH or CRITICAL" % port, "\n".join(bad))
    notes = ["%s %s: %s" % (f["severity"], f["id"], f["finding"]) for f in findings
             if f.get("severity") in ("LOW", "MEDIUM", "WARN")
             and f["id"] != "engine_problem"]
    if notes:
        diag("%d: lesser findings:" % port, *notes)
shutil.rmtree(out, ignore_errors=True)
tap.done()
