#!/usr/bin/env bash
# Every test of kerasclr, from nothing: installs what is missing (tools/setup.sh),
# then runs
#   - the check that the R package's copy of the core (inst/python/kerasclr)
#     is the same as python/kerasclr (tools/bundle-python.sh --check),
#   - pytest on the stack R uses (numpy < 2, tensorflow-cpu 2.18),
#   - pytest on the current stack (numpy 2, pandas 3, tensorflow-cpu 2.21)
#     with each Keras backend: tensorflow, jax, torch (the core is imported
#     from python/ with PYTHONPATH: that environment has no kerasclr installed),
#   - ruff,
#   - testthat and R CMD check (tools/r-check.sh; reticulate 1.28),
#   - kerasclr as keras3 users get it (tools/e2e-keras3.sh: reticulate 1.46,
#     keras3, R CMD build + install, a saved model without kerasclr, testthat;
#     skipped, saying why, without ../shared/r-keras3).
# Prints each runner's summary and exits non-zero when any of them fails.
# .ci/run runs exactly this script.
#
# Usage: bash tools/test.sh [--no-setup]
set -uo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/paths.sh"
LOGS="${KERASCLR_TEST_LOGS:-$ROOT/output/test-logs}"
cd "$ROOT" || exit 1
mkdir -p "$LOGS"

if [ "${1:-}" != "--no-setup" ]; then
  bash "$ROOT/tools/setup.sh" || exit 1
fi

export TF_CPP_MIN_LOG_LEVEL=3 PYTHONWARNINGS="ignore::DeprecationWarning"
passed=0
failed=0
failures=()

# The closing lines of a runner: pytest's, testthat's, R CMD check's, ruff's.
summary() {
  grep -E '(passed|failed|skipped).* in [0-9.]+s|^\[ FAIL [0-9]+ \||^Status: |^All checks passed|^Found [0-9]+ error|^SKIPPED|^keras3 end-to-end|^inst/python|^   [^ ]+: (ok|FAILED) in [0-9]+s' "$1" ||
    tail -n 3 "$1"
}

# run_suite NAME COMMAND...: run one runner, keep its log, print its summary.
run_suite() {
  local name="$1"
  shift
  local log="$LOGS/$name.log" start=$SECONDS
  printf '\n\033[1m== %s\033[0m\n' "$name"
  if "$@" >"$log" 2>&1; then
    passed=$((passed + 1))
    summary "$log"
    printf '   %s: ok in %ds (log: %s)\n' "$name" $((SECONDS - start)) "$log"
  else
    failed=$((failed + 1))
    failures+=("$name")
    tail -n 40 "$log"
    printf '   \033[1;31m%s: FAILED\033[0m in %ds (log: %s)\n' "$name" $((SECONDS - start)) "$log"
  fi
}

run_suite "bundled-core-in-sync" bash "$ROOT/tools/bundle-python.sh" --check
run_suite "pytest-r-stack-tensorflow" env KERAS_BACKEND=tensorflow PYTHONPATH="$ROOT/python" \
  "$R_VENV/bin/python" -m pytest -q -p no:cacheprovider tests/python
for backend in tensorflow jax torch; do
  run_suite "pytest-current-$backend" env KERAS_BACKEND=$backend PYTHONPATH="$ROOT/python" \
    "$CURRENT_VENV/bin/python" -m pytest -q -p no:cacheprovider tests/python
done
run_suite "ruff" "$CURRENT_VENV/bin/ruff" check python tests/python tests/golden tests/e2e benchmarks demo tools
run_suite "R-testthat-and-check" bash "$ROOT/tools/r-check.sh"
run_suite "keras3-end-to-end" bash "$ROOT/tools/e2e-keras3.sh"

printf '\n'
[ ${#failures[@]} -eq 0 ] || printf 'failed: %s\n' "${failures[*]}"
printf 'suites: %d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
