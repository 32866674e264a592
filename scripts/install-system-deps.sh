#!/usr/bin/env bash
# Installs the Debian packages Fulcrum needs (idempotent, fast when all are present).
#   scripts/install-system-deps.sh          what `fulcrum up` needs
#   scripts/install-system-deps.sh --test   plus what the tests need (PostgreSQL, OpenStack clients)
#   scripts/install-system-deps.sh --bench  plus what `npm run bench` needs: Debian's Octavia 11 API run on
#                                           SQLite as ../shared/peers/octavia/RECIPE.md does (MODE=apionly needs
#                                           no RabbitMQ or MariaDB), wrk
set -euo pipefail
pkgs=(haproxy keepalived iproute2 iputils-arping iputils-ping procps iptables nftables openssl)
if [ "${1:-}" = --test ]; then
  pkgs+=(postgresql python3-neutronclient python3-octaviaclient python3-openstackclient python3-openstacksdk python3-barbicanclient curl wrk prometheus chromium fonts-dejavu-core)
fi
if [ "${1:-}" = --bench ]; then
  pkgs+=(octavia-api sqlite3 openssl curl wrk)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "install-system-deps: missing ${missing[*]}; run as root to install them" >&2
  exit 1
fi
echo "install-system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { apt-get -o DPkg::Lock::Timeout=120 update -qq && \
       apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2; rm -f "$log"; exit 1
fi
rm -f "$log"
