#!/bin/sh
# Quick start, part 1: prerequisites, build, then `ambit demo` (local cluster up, samples deployed,
# a request from the client pod to the echo Service). Run as root.
set -eu
cd "$(dirname "$0")/.."
./scripts/prereqs.sh
npm run --silent build
exec node dist/cli/main.js demo "$@"
