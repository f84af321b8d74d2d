#!/bin/sh
# Installs what is needed, builds and installs webstack on this host and
# brings up the mail server (Debian 12, as root):
#   MAIL_HOSTNAME=mail.example.com sh scripts/install.sh
# MAIL_HOSTNAME defaults to `hostname -f`; it must be a fully qualified name.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/scripts/deps.sh"
build=${BUILD_DIR:-$top/_build}
cd "$top" && autoreconf -fi >/dev/null
mkdir -p "$build" && cd "$build"
"$top/configure" --prefix=/usr --sysconfdir=/etc --localstatedir=/var --disable-tests
make -j"$(nproc)"
make install
webstack --version
webstack check-config
webstack mail setup --hostname "${MAIL_HOSTNAME:-$(hostname -f)}"
webstack mail firewall open
webstack mail status
