#!/bin/sh
# Installs what ambit needs on a Debian/Ubuntu machine (as root): the system packages the local
# cluster and the tests use, then the npm dependencies. Safe to run again: it only does what is missing.
set -eu
cd "$(dirname "$0")/.."

missing=""
for pair in ip:iproute2 iptables:iptables iptables-restore:iptables curl:curl nft:nftables gcc:gcc tcpdump:tcpdump; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  if ! command -v "$cmd" >/dev/null 2>&1 && ! [ -x "/usr/sbin/$cmd" ] && ! [ -x "/sbin/$cmd" ]; then
    case " $missing " in *" $pkg "*) ;; *) missing="$missing $pkg" ;; esac
  fi
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    apt-get install -y -qq $missing >/dev/null || { apt-get update -qq && apt-get install -y -qq $missing >/dev/null; }
  else
    echo "missing system packages:$missing — install them with: apt-get install$missing" >&2
    exit 1
  fi
fi
if ! command -v node >/dev/null 2>&1; then
  echo "Node.js 20 or newer is required (apt-get install nodejs npm, or from nodejs.org)" >&2
  exit 1
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
