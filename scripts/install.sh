#!/bin/sh
# Installs what is needed, builds and installs webstack on this host
# (Debian 12, as root). Once the mail modules exist (issue 3) this also runs
# `webstack mail setup` and creates the first domain and account.
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
