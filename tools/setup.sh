#!/usr/bin/env bash
# Install everything kerasclr needs on a fresh machine, idempotently:
#   1. R and the R packages it uses (Debian packages; CRAN is not needed),
#   2. two Python environments:
#        ~/.virtualenvs/r-kerasclr        numpy < 2 stack that R uses (reticulate 1.28),
#                                         with the Python core installed editable
#                                         (for the demo's Python scripts)
#        ~/.virtualenvs/kerasclr-current  current stack + JAX + PyTorch backends, without
#                                         the core: exactly a keras3 user's Python (the
#                                         tests import the core with PYTHONPATH=python,
#                                         the R package from its own folder)
#   3. the R package into R's library.
# Steps that are already done are skipped, so a second run takes seconds.
#
# Usage: bash tools/setup.sh            (from anywhere)
#        KERASCLR_SETUP_SKIP_CURRENT=1   skip the current-stack environment (the demo)
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/paths.sh"
PYTHON="${KERASCLR_PYTHON:-python3}"

APT_PACKAGES=(r-base-core r-cran-reticulate r-cran-testthat r-cran-ggplot2 r-cran-knitr
  r-cran-rmarkdown r-cran-roxygen2 r-cran-vdiffr r-cran-mass r-cran-jsonlite pandoc qpdf)

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
fail() {
  printf '\033[1;31m[setup] FAILED:\033[0m %s\n' "$1" >&2
  [ -n "${2:-}" ] && printf '        fix: %s\n' "$2" >&2
  exit 1
}

install_apt() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "R and its Debian packages: present"
    return
  fi
  say "installing Debian packages: ${missing[*]} (a few minutes)"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >/tmp/kerasclr-apt.log 2>&1 ||
    fail "apt-get update did not work (log: /tmp/kerasclr-apt.log)" "sudo apt-get update"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    "${missing[@]}" >>/tmp/kerasclr-apt.log 2>&1 ||
    fail "apt-get install did not work (log: /tmp/kerasclr-apt.log)" \
      "sudo apt-get install ${missing[*]}"
}

# make_venv DIR REQUIREMENTS [core|no-core]: create DIR if needed and install
# REQUIREMENTS, plus the core (editable) with "core"; with "no-core" a core
# installed there earlier is removed. Skipped when nothing has changed.
make_venv() {
  local venv="$1" req="$2" core="${3:-core}" stamp
  stamp="$venv/.kerasclr-$(basename "$req" .txt).sha"
  local want
  want="$(cat "$req" "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)-$core"
  local has_core=no
  [ -x "$venv/bin/python" ] && "$venv/bin/python" -m pip show -q kerasclr >/dev/null 2>&1 &&
    has_core=yes
  if [ "$core" = "no-core" ] && [ "$has_core" = "yes" ]; then
    say "Python environment $venv: removing the kerasclr core installed there earlier"
    "$venv/bin/python" -m pip uninstall -q -y kerasclr >/dev/null 2>&1 ||
      fail "could not remove kerasclr from $venv" "$venv/bin/pip uninstall kerasclr"
    has_core=no
  fi
  if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] &&
    { [ "$core" = "no-core" ] || [ "$has_core" = "yes" ]; }; then
    say "Python environment $venv: up to date"
    return
  fi
  say "Python environment $venv: installing $(basename "$req") (several minutes the first time)"
  [ -x "$venv/bin/python" ] || "$PYTHON" -m venv "$venv" ||
    fail "could not create $venv" "apt-get install python3-venv"
  local log="/tmp/kerasclr-pip-$(basename "$venv").log"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req" >"$log" 2>&1 ||
    fail "pip could not install $req (log: $log)" "$venv/bin/pip install -r $req"
  if [ "$core" = "core" ]; then
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps -e "$ROOT" \
      >>"$log" 2>&1 || fail "pip could not install the kerasclr core (log: $log)" \
      "$venv/bin/pip install -e $ROOT"
  fi
  echo "$want" >"$stamp"
}

install_r_package() {
  say "R package kerasclr: installing from $ROOT"
  # The Python core travels inside the R package (inst/python/kerasclr, a
  # committed copy of python/kerasclr that tools/bundle-python.sh makes).
  R CMD INSTALL --no-test-load "$ROOT" >/tmp/kerasclr-rinstall.log 2>&1 ||
    fail "R CMD INSTALL failed (log: /tmp/kerasclr-rinstall.log)" "R CMD INSTALL $ROOT"
}

install_apt
make_venv "$R_VENV" "$ROOT/requirements/r-stack.txt"
if [ -z "${KERASCLR_SETUP_SKIP_CURRENT:-}" ]; then
  make_venv "$CURRENT_VENV" "$ROOT/requirements/current-stack.txt" no-core
fi
install_r_package
say "done: R uses $R_VENV (numpy < 2); the current stack (no kerasclr installed) is in $CURRENT_VENV"
