#!/bin/bash
# install-deps.sh - installs the Debian 12 packages mailout needs to build,
# test and run (compiler, autotools, libraries, PostgreSQL, the test SMTP
# server, Chromium for the browser tests, clang and llvm-symbolizer for the
# libFuzzer targets).  Skips apt when all are present.
set -euo pipefail
PACKAGES=(
    build-essential autoconf automake pkg-config git ca-certificates openssl
    libpq-dev libesmtp-dev uuid-dev libical-dev libcurl4-openssl-dev
    libmicrohttpd-dev libssl-dev libjansson-dev libidn2-dev libcsv-dev libxml2-dev check
    libgmime-3.0-dev python3-flufl.bounce
    postgresql postgresql-client python3 python3-aiosmtpd python3-dkim python3-nacl python3-dateutil python3-icalendar curl procps
    chromium chromium-driver python3-selenium
    clang-format libclang-rt-14-dev clang llvm
)
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#PACKAGES[@]} packages present"
    exit 0
fi
SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" > /tmp/mailout-apt.log 2>&1 ||
    { tail -n 30 /tmp/mailout-apt.log; echo "install-deps: apt-get install failed" >&2; exit 1; }
echo "install-deps: done"
