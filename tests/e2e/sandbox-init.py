"""PID 1 of the sandbox (see sandbox.sh): runs the command given as
arguments, reaps every orphaned daemon process, passes on SIGTERM, SIGINT
and SIGHUP, and collects syslog messages from /dev/log into /var/log/syslog
(Postfix logs only through syslog). Exits with the command's status; the
kernel then kills whatever is left in the PID namespace."""
import os
import re
import signal
import socket
import subprocess
import sys
import threading


def syslog_sink(path="/dev/log", out="/var/log/syslog"):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    os.chmod(path, 0o666)
    with open(out, "ab", buffering=0) as log:
        while True:
            msg = sock.recv(65536)
            log.write(re.sub(rb"^<\d+>", b"", msg).rstrip(b"\0\n") + b"\n")


def main():
    threading.Thread(target=syslog_sink, daemon=True).start()
    child = subprocess.Popen(sys.argv[1:])
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda s, f: child.send_signal(s))
    while True:
        try:
            pid, status = os.wait()
        except InterruptedError:
            continue
        if pid == child.pid:
            code = os.waitstatus_to_exitcode(status)
            sys.exit(code if code >= 0 else 128 - code)


main()
