#!/usr/bin/env bash
# Build and check the R package kerasclr, as CI does (the Python core it
# carries, inst/python/kerasclr, is committed; tools/test.sh checks that it is
# the same as python/kerasclr):
#   1. R CMD build (builds the vignette) and R CMD check --no-manual, with
#      RETICULATE_PYTHON unset so that .onLoad finds ~/.virtualenvs/r-kerasclr
#      by itself; the testthat suite (vdiffr snapshots included) runs inside
#      the check,
#   2. print the testthat summary and the check status.
# Fails when the check reports an ERROR or a WARNING (NOTEs are fine).
#
# Usage: bash tools/r-check.sh        (work files go to output/r-check/)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${KERASCLR_R_CHECK_DIR:-$ROOT/output/r-check}"
VERSION="$(sed -n 's/^Version: *//p' "$ROOT/DESCRIPTION")"

rm -rf "$OUT"
mkdir -p "$OUT"
cd "$OUT"

unset RETICULATE_PYTHON PYTHONPATH
export TF_CPP_MIN_LOG_LEVEL=3 PYTHONWARNINGS="ignore::DeprecationWarning,ignore::FutureWarning"
export NOT_CRAN=true                      # vdiffr compares snapshots only off CRAN
export _R_CHECK_FORCE_SUGGESTS_=false     # keras3 (Suggests) is optional
export _R_CHECK_CRAN_INCOMING_=false

echo "== R CMD build"
R CMD build "$ROOT" >build.log 2>&1 || { cat build.log; exit 1; }
tail -n 3 build.log
TARBALL="kerasclr_${VERSION}.tar.gz"

echo "== R CMD check --no-manual $TARBALL"
status=0
R CMD check --no-manual "$TARBALL" >check.log 2>&1 || status=$?

ROUT="kerasclr.Rcheck/tests/testthat.Rout"
[ -f "$ROUT" ] || ROUT="$ROUT.fail"
echo "== testthat ($ROUT)"
if [ -f "$ROUT" ]; then
  grep -E '^\[ FAIL [0-9]+ \| WARN [0-9]+ \| SKIP [0-9]+ \| PASS [0-9]+ \]' "$ROUT" | tail -n 1 || true
  if [ "${ROUT%.fail}" != "$ROUT" ]; then tail -n 60 "$ROUT"; fi
  grep -A2 -E '^── (Skip|Failure|Error|Warning)' "$ROUT" | head -n 40 || true
else
  echo "(the tests did not run)"
fi

echo "== check"
awk '/^Status/{next} /^\* /{last=$0} /(NOTE|WARNING|ERROR)$/{ if ($0 ~ /^\* /) print; else print last $0 }' check.log
grep "^Status:" check.log || true
if [ "$status" -ne 0 ] || grep -qE '^Status: .*(ERROR|WARNING)' check.log; then
  echo "R CMD check FAILED (log: $OUT/check.log)"
  exit 1
fi
echo "R CMD check passed (log: $OUT/check.log)"
