#!/usr/bin/env bash
# kerasclr as a keras3 user gets it, end to end, in fresh R and Python
# processes (what tools/test.sh runs last):
#   1. the keras3 client (reticulate 1.46, keras3 1.5.1, from ../shared/r-keras3)
#      into an R library of its own; without ../shared/r-keras3 this script
#      says it skipped and why, and exits 0;
#   2. R CMD build (no vignettes, as remotes::install_github() builds) and the
#      tarball installed into a temporary library;
#   3. the Python: ~/.virtualenvs/kerasclr-current (numpy 2, pandas 3,
#      TensorFlow 2.21), where tools/setup.sh installs no kerasclr;
#   4. tests/e2e/keras3_train.R: the KerasMisc README example with keras3 and
#      plot_clr_history(callback_clr = ...), errors inside fit() in R terms,
#      save_model();
#   5. tests/e2e/keras3_reload.R: a new session with keras3 only (kerasclr not
#      importable) loads the model, sets the learning rate, fits with
#      callback_reduce_lr_on_plateau(), export_savedmodel();
#      tests/e2e/keras3_checkpoint.R: keras3 and library(kerasclr) alone load a
#      checkpoint written during a fit with kerasclr;
#   6. tests/e2e/portable_model.py: the same in Python without kerasclr;
#   7. tests/e2e/env_order.R: with keras3's "r-keras" and install_kerasclr()'s
#      "r-kerasclr" both present, either load order uses "r-keras"; kerasclr
#      alone (keras3 not installed) uses "r-kerasclr", on reticulate 1.46 and 1.28;
#   8. the testthat suite on reticulate 1.46 and the current stack.
# Every step runs even when an earlier one failed; exits non-zero if any did.
#
# Usage: bash tools/e2e-keras3.sh      (work files in output/e2e-keras3/)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/paths.sh"
SHARED="$(cd "$ROOT/.." && pwd)/shared/r-keras3"
OUT="${KERASCLR_E2E_DIR:-$ROOT/output/e2e-keras3}"
KERAS3_LIB="${KERASCLR_KERAS3_LIB:-$ROOT/output/keras3-lib}"
PY="$CURRENT_VENV/bin/python"
VERSION="$(sed -n 's/^Version: *//p' "$ROOT/DESCRIPTION")"

if [ ! -f "$SHARED/install.sh" ]; then
  echo "SKIPPED: no $SHARED/install.sh, from which the keras3 client (R keras3 with"
  echo "reticulate 1.46) is installed; CRAN is not reachable here. The keras3 checks did not run."
  exit 0
fi

failed=()
step() { printf '\n== %s\n' "$*"; }
# run NAME COMMAND...: run a step, time it, remember a failure.
run() {
  local name="$1" start=$SECONDS
  shift
  if "$@"; then
    printf '   %s: ok in %ds\n' "$name" $((SECONDS - start))
  else
    printf '   %s: FAILED in %ds\n' "$name" $((SECONDS - start))
    failed+=("$name")
  fi
}

step "1. keras3 client into $KERAS3_LIB"
run "keras3-client" bash "$SHARED/install.sh" "$KERAS3_LIB" || exit 1
[ ${#failed[@]} -eq 0 ] || { echo "the keras3 client did not install"; exit 1; }

rm -rf "$OUT"
mkdir -p "$OUT/lib" "$OUT/build"
unset PYTHONPATH VIRTUAL_ENV RETICULATE_PYTHON RETICULATE_PYTHON_ENV
export TF_CPP_MIN_LOG_LEVEL=3 PYTHONWARNINGS="ignore::DeprecationWarning,ignore::FutureWarning"
export KERASCLR_E2E_SCRIPTS="$ROOT/tests/e2e" KERASCLR_E2E_OUT="$OUT"

step "2. R CMD build, then R CMD INSTALL of the tarball into $OUT/lib"
build_and_install() {
  (cd "$OUT/build" && R CMD build --no-build-vignettes "$ROOT" >build.log 2>&1) &&
    R_LIBS="$KERAS3_LIB" R CMD INSTALL -l "$OUT/lib" \
      "$OUT/build/kerasclr_${VERSION}.tar.gz" >"$OUT/build/install.log" 2>&1 ||
    { tail -n 20 "$OUT/build/"*.log; return 1; }
}
run "build-and-install" build_and_install

step "3. the Python: $PY"
if "$PY" -c "import kerasclr" >/dev/null 2>&1; then
  echo "   note: kerasclr is importable in it (an install from an older tools/setup.sh);"
  echo "   the checks below make sure the R package uses its own copy and that the"
  echo "   saved model loads with kerasclr made unimportable"
else
  echo "   kerasclr is not installed in it: a keras3 user's Python"
fi
"$PY" -m pip freeze --all >"$OUT/pip-before.txt" 2>/dev/null

# From a folder outside the checkout, so that reticulate finds no
# pyproject.toml to read as a poetry project (a user's folder has none).
export R_LIBS="$OUT/lib:$KERAS3_LIB"
RUN_DIR="$(mktemp -d)"
trap 'rm -rf "$RUN_DIR"' EXIT
in_out() { (cd "$RUN_DIR" && "$@"); }

step "4. keras3 session: the KerasMisc README example, save_model()"
run "keras3-train" in_out env RETICULATE_PYTHON="$PY" Rscript "$ROOT/tests/e2e/keras3_train.R"
"$PY" -m pip freeze --all >"$OUT/pip-after.txt" 2>/dev/null
run "nothing-pip-installed" diff "$OUT/pip-before.txt" "$OUT/pip-after.txt"

step "5. new sessions: keras3 only loads the model (set the lr, ReduceLROnPlateau, export_savedmodel()); keras3 + library(kerasclr) loads a checkpoint"
run "keras3-reload" in_out env RETICULATE_PYTHON="$PY" Rscript "$ROOT/tests/e2e/keras3_reload.R"

run "keras3-checkpoint" in_out env RETICULATE_PYTHON="$PY" Rscript "$ROOT/tests/e2e/keras3_checkpoint.R"

step "6. Python without kerasclr: load, set the lr, ReduceLROnPlateau, export()"
run "python-portable" in_out "$PY" "$ROOT/tests/e2e/portable_model.py" "$OUT"

step "7. load order and environments (r-keras, r-kerasclr)"
mkdir -p "$OUT/venvs" "$OUT/reticulate-only"
ln -sfn "$CURRENT_VENV" "$OUT/venvs/r-keras"
ln -sfn "$R_VENV" "$OUT/venvs/r-kerasclr"
for order in "kerasclr,keras3" "keras3,kerasclr"; do
  run "order-$order" in_out env WORKON_HOME="$OUT/venvs" KERASCLR_E2E_ORDER="$order" \
    KERASCLR_E2E_WANT=r-keras Rscript "$ROOT/tests/e2e/env_order.R"
done
rm "$OUT/venvs/r-keras"
# Without keras3, kerasclr alone uses install_kerasclr()'s environment: with
# reticulate 1.46 (a library that holds only it) and with Debian's 1.28.
ln -sfn "$KERAS3_LIB/reticulate" "$OUT/reticulate-only/reticulate"
run "kerasclr-alone-reticulate-1.46" in_out env R_LIBS="$OUT/lib:$OUT/reticulate-only" \
  WORKON_HOME="$OUT/venvs" KERASCLR_E2E_ORDER=kerasclr KERASCLR_E2E_WANT=r-kerasclr \
  Rscript "$ROOT/tests/e2e/env_order.R"
run "kerasclr-alone-reticulate-1.28" in_out env R_LIBS="$OUT/lib" \
  WORKON_HOME="$OUT/venvs" KERASCLR_E2E_ORDER=kerasclr KERASCLR_E2E_WANT=r-kerasclr \
  Rscript "$ROOT/tests/e2e/env_order.R"

step "8. testthat on reticulate 1.46 and the current stack"
# A copy of the tests: testthat deletes the snapshots of tests that skip.
cp -r "$ROOT/tests" "$OUT/tests"
testthat_146() {
  (cd "$OUT/tests/testthat" && NOT_CRAN=true RETICULATE_PYTHON="$PY" Rscript -e '
    library(testthat)
    result <- as.data.frame(test_dir(".", package = "kerasclr", load_package = "installed",
                                     reporter = "summary", stop_on_failure = FALSE))
    cat(sprintf("[ FAIL %d | SKIP %d | PASS %d ]\n", sum(result$failed) + sum(result$error),
                sum(result$skipped), sum(result$passed)))
    quit(status = as.integer(sum(result$failed) + sum(result$error) > 0))')
}
run "testthat-reticulate-1.46" testthat_146

printf '\n'
if [ ${#failed[@]} -gt 0 ]; then
  echo "keras3 end-to-end: failed: ${failed[*]}"
  exit 1
fi
echo "keras3 end-to-end: every step passed"
