#!/usr/bin/env bash
# The R package carries the Python core: inst/python/kerasclr is a copy of
# python/kerasclr (the one source), committed so that `R CMD INSTALL` of a
# clone, `R CMD build` and `remotes::install_github()` give a package that
# works by itself. The R package imports it from there
# (reticulate::import_from_path); nothing is pip-installed.
#
#   bash tools/bundle-python.sh           copy python/kerasclr to inst/python/kerasclr
#   bash tools/bundle-python.sh --check   exit 1 (and list the files) when the
#                                         copy differs from the source
#
# Run it after every change to python/kerasclr and commit both; tools/test.sh
# and the testthat suite fail while they differ.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/python/kerasclr"
DEST="$ROOT/inst/python/kerasclr"

if [ "${1:-}" = "--check" ]; then
  if diff -r -q -x __pycache__ -x '*.pyc' "$SRC" "$DEST"; then
    echo "inst/python/kerasclr is the same as python/kerasclr"
    exit 0
  fi
  echo "inst/python/kerasclr differs from python/kerasclr: run \`bash tools/bundle-python.sh\` and commit inst/python" >&2
  exit 1
fi

rm -rf "$ROOT/inst/python"
mkdir -p "$ROOT/inst/python"
cp -r "$SRC" "$DEST"
find "$DEST" \( -name __pycache__ -o -name '*.egg-info' \) -prune -exec rm -rf {} +
find "$DEST" -name '*.pyc' -delete
