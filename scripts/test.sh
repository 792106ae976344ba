#!/bin/sh
# Quick start, part 2: prerequisites, then every test tier (unit, integration, netns as root).
set -eu
cd "$(dirname "$0")/.."
./scripts/prereqs.sh
exec npm test
