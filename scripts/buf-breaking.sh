#!/usr/bin/env bash
# Checks proto/ for wire-breaking changes against the previous commit that
# touched it. In a clone without history (or before the first proto commit)
# there is nothing to compare with: print a notice and succeed.
set -euo pipefail
cd "$(dirname "$0")/.."
buf=node_modules/.bin/buf
if [ "$(git rev-parse --is-shallow-repository 2>/dev/null || echo true)" = "true" ]; then
  echo "buf breaking: skipped (shallow clone or no git history to compare against)"; exit 0
fi
# The newest commit before HEAD that changed proto/ is the previous version.
prev=$(git log --format=%H -n 1 HEAD~1 -- proto 2>/dev/null || true)
if [ -z "$prev" ]; then
  echo "buf breaking: skipped (no earlier version of proto/ in history)"; exit 0
fi
echo "buf breaking: against $prev"
"$buf" breaking proto --against ".git#ref=$prev,subdir=proto"
