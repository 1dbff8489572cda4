#!/usr/bin/env bash
# The kerasclr demo (the README's first command), from nothing:
#   0. installs what is missing (tools/setup.sh),
#   1. exports the Boston housing data from R's MASS package,
#   2. trains the KerasMisc README example (exp_range CLR, 10 epochs) and a
#      plateau run (50 epochs) from R with new_callback_cyclical_learning_rate(),
#   3. trains the same two runs from Python with kerasclr.CyclicLR and replays
#      R's val_loss sequence through the Python core,
#   4. compares R and Python with compare_clr_histories() and prints the table,
#   5. runs the LR range test from R and trains with the band it suggests.
# Every history table, comparison and plot is written to the output folder.
#
# Usage: bash tools/demo.sh [OUTPUT_DIR]     (default: output/demo)
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/paths.sh"
cd "$ROOT"
OUT="${1:-output/demo}"
export TF_CPP_MIN_LOG_LEVEL=3 KERAS_BACKEND=tensorflow
# R runs from the checkout, whose pyproject.toml reticulate would try to read as
# a poetry project: name the environment outright.
export RETICULATE_PYTHON="$R_VENV/bin/python"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
stop_with() {
  printf '\033[1;31m[demo] %s failed.\033[0m Fix: %s\n' "$1" "$2" >&2
  exit 1
}

step "0/5 set-up (skipped parts are already installed)"
KERASCLR_SETUP_SKIP_CURRENT=1 bash tools/setup.sh || stop_with "set-up" "bash tools/setup.sh"
mkdir -p "$OUT"
step "1/5 data: MASS::Boston (R)"
Rscript demo/prepare_data.R "$OUT" || stop_with "exporting the data" \
  "apt-get install r-cran-mass, then bash tools/demo.sh"
step "2/5 training from R: new_callback_cyclical_learning_rate()"
Rscript demo/run_r.R "$OUT" || stop_with "the R runs" "bash tools/setup.sh (reinstalls R package and Python core)"
step "3/5 training from Python: kerasclr.CyclicLR"
"$R_VENV/bin/python" demo/run_python.py "$OUT" || stop_with "the Python runs" "bash tools/setup.sh"
step "4/5 comparison: compare_clr_histories()"
Rscript demo/compare.R "$OUT" || stop_with "the comparison" "see the table above"
step "5/5 LR range test (R): lr_range_test() and its band in a CLR run"
Rscript demo/range_test.R "$OUT" || stop_with "the range test" "bash tools/setup.sh"
printf '\n[demo] done: every table and plot is in %s\n' "$(cd "$OUT" && pwd)"
ls "$OUT"/*.png | sed 's/^/[demo] plot: /'
