#!/bin/sh
# sandbox.sh COMMAND [ARGS...]: run COMMAND as root in a throwaway host.
#
# Fresh network, mount, PID and UTS namespaces (unshare), so the real system
# paths are exercised while nothing on the machine changes and no packet can
# leave:
# - network: only the namespace's own loopback. Two documentation ranges are
#   routed to it as local ("AnyIP" routes, no interface address):
#   192.0.2.0/24 and 2001:db8::/64. Tests use 192.0.2.1 / 2001:db8::1 as the
#   server's public address and bind clients to 192.0.2.10 / 2001:db8::10, a
#   source that is neither loopback nor one of the host's interface addresses
#   (so not in mynetworks, even with mynetworks_style = host): a client that
#   binds to it talks to the daemons as another server would. For the
#   daemons that is equivalent to a second host on a veth pair (the firewall
#   test, which needs packets to cross a real interface, makes one itself:
#   tests/e2e/firewall.py); the namespace has no route out.
# - files: a tmpfs staging area holds a copy of /etc (bind-mounted over /etc
#   whole, since useradd and friends rename files inside it) and of
#   /var/spool/postfix; /var/lib is an overlay whose changes stay in the
#   staging area (Postfix's and Dovecot's state, and room for a fresh
#   /var/lib/webstack); /run, /var/mail, /var/log, /home and /dev/shm are
#   fresh tmpfs; /dev holds the usual nodes plus a /dev/log that
#   sandbox-init.py writes to /var/log/syslog (Postfix logs only there).
#   /etc/resolv.conf names 127.0.0.1, where no DNS server listens, so lookups
#   fail at once; /etc/mailname and the host name are the test host name.
# - no systemd (the fresh /run has no /run/systemd/system), so webstack uses
#   the daemons' own start and reload commands.
# - processes: sandbox-init.py is PID 1, reaps orphans and runs COMMAND; when
#   COMMAND exits, the namespace and every daemon in it die with it.
# Exit status: COMMAND's. WS_E2E_HOSTNAME sets the host name
# (mail.example.test by default).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
host=${WS_E2E_HOSTNAME:-mail.example.test}

if [ "${1-}" != --inside ]; then
	[ $# -gt 0 ] || { echo "usage: sandbox.sh COMMAND [ARGS...]" >&2; exit 64; }
	[ "$(id -u)" -eq 0 ] || { echo "sandbox.sh: must run as root" >&2; exit 77; }
	stage=$(mktemp -d "${TMPDIR:-/tmp}/ws-sandbox.XXXXXX")
	trap 'rmdir "$stage" 2>/dev/null || rm -rf "$stage"' EXIT
	trap 'exit 143' INT TERM HUP
	# --kill-child: if unshare itself is killed, PID 1 inside gets SIGKILL
	# and takes every daemon with it.
	set +e
	unshare --net --mount --uts --pid --fork --mount-proc \
		--propagation private --kill-child \
		/bin/sh "$here/sandbox.sh" --inside "$stage" "$@"
	exit $?
fi

# Inside the namespaces, as PID 1's predecessor.
stage=$2
shift 2
mount -t tmpfs -o mode=0755 ws-stage "$stage"

# Network: loopback only, with the "outside" ranges routed to it.
ip link set lo up
ip route add local 192.0.2.0/24 dev lo
ip -6 route add local 2001:db8::/64 dev lo
sysctl -q -w net.ipv6.ip_nonlocal_bind=1  # IPv6 bind() ignores local routes
hostname "$host"

# copy_over DIR: a copy of DIR, bind-mounted over DIR.
copy_over() {
	mkdir -p "$stage/copy$(dirname "$1")"
	cp -a "$1" "$stage/copy$1"
	mount --bind "$stage/copy$1" "$1"
}
# fresh DIR [MODE [OWNER]]: an empty tmpfs over DIR.
fresh() {
	mount -t tmpfs -o "mode=${2:-0755}" ws-tmp "$1"
	[ -z "${3-}" ] || chown "$3" "$1"
}

copy_over /etc
mountpoint -q /etc || exit 1  # never touch the real /etc
rm -f /etc/resolv.conf /etc/mailname /etc/hostname /etc/hosts
echo "nameserver 127.0.0.1" >/etc/resolv.conf
echo "$host" >/etc/mailname
echo "$host" >/etc/hostname
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t%s %s\n' \
	"$host" "${host%%.*}" >/etc/hosts

mkdir -p "$stage/lib-upper" "$stage/lib-work"
mount -t overlay ws-var-lib \
	-o "lowerdir=/var/lib,upperdir=$stage/lib-upper,workdir=$stage/lib-work" /var/lib
mkdir -p /var/lib/webstack
fresh /var/lib/webstack
copy_over /var/spool/postfix
if [ -d /var/spool/postfix/etc ]; then
	rm -f /var/spool/postfix/etc/resolv.conf
	cp /etc/resolv.conf /etc/hosts /var/spool/postfix/etc/
fi

fresh /run
mkdir -m 1777 /run/lock
fresh /var/log
fresh /home
fresh /var/mail "$(stat -c %a /var/mail)" "$(stat -c %u:%g /var/mail)"

# /dev: the usual nodes from the host, a fresh shm, and room for /dev/log.
mkdir "$stage/dev"
for n in null zero full random urandom tty; do
	touch "$stage/dev/$n"
	mount --bind "/dev/$n" "$stage/dev/$n"
done
mkdir "$stage/dev/pts" "$stage/dev/shm"
mount --bind /dev/pts "$stage/dev/pts"
ln -s pts/ptmx "$stage/dev/ptmx"
ln -s /proc/self/fd "$stage/dev/fd"
ln -s /proc/self/fd/0 "$stage/dev/stdin"
ln -s /proc/self/fd/1 "$stage/dev/stdout"
ln -s /proc/self/fd/2 "$stage/dev/stderr"
mount --rbind "$stage/dev" /dev
fresh /dev/shm 1777

mkdir -m 1777 "$stage/tmp"
export TMPDIR="$stage/tmp" HOSTNAME="$host"
exec /usr/bin/python3 -B "$here/sandbox-init.py" "$@"
