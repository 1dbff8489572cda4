#!/usr/bin/env bash
# Install everything kerasclr needs on a fresh machine, idempotently:
#   1. R and the R packages it uses (Debian packages; CRAN is not needed),
#   2. two Python environments:
#        ~/.virtualenvs/r-kerasclr        numpy < 2 stack that R uses (reticulate 1.28)
#        ~/.virtualenvs/kerasclr-current  current stack + JAX + PyTorch backends
#   3. the Python core (editable) into both, and the R package into R's library.
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

# make_venv DIR REQUIREMENTS: create DIR if needed and install REQUIREMENTS +
# the core (editable); skipped when the requirements file has not changed.
make_venv() {
  local venv="$1" req="$2" stamp
  stamp="$venv/.kerasclr-$(basename "$req" .txt).sha"
  local want
  want="$(cat "$req" "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)"
  if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] &&
    "$venv/bin/python" -c "import kerasclr" >/dev/null 2>&1; then
    say "Python environment $venv: up to date"
    return
  fi
  say "Python environment $venv: installing $(basename "$req") (several minutes the first time)"
  [ -x "$venv/bin/python" ] || "$PYTHON" -m venv "$venv" ||
    fail "could not create $venv" "apt-get install python3-venv"
  local log="/tmp/kerasclr-pip-$(basename "$venv").log"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req" >"$log" 2>&1 ||
    fail "pip could not install $req (log: $log)" "$venv/bin/pip install -r $req"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps -e "$ROOT" \
    >>"$log" 2>&1 || fail "pip could not install the kerasclr core (log: $log)" \
    "$venv/bin/pip install -e $ROOT"
  echo "$want" >"$stamp"
}

install_r_package() {
  say "R package kerasclr: installing from $ROOT"
  # The Python core travels inside the R package (inst/python), so that
  # install_kerasclr() can pip-install it where no checkout is at hand.
  bash "$ROOT/tools/bundle-python.sh"
  R CMD INSTALL --no-test-load "$ROOT" >/tmp/kerasclr-rinstall.log 2>&1 ||
    fail "R CMD INSTALL failed (log: /tmp/kerasclr-rinstall.log)" "R CMD INSTALL $ROOT"
}

install_apt
make_venv "$R_VENV" "$ROOT/requirements/r-stack.txt"
if [ -z "${KERASCLR_SETUP_SKIP_CURRENT:-}" ]; then
  make_venv "$CURRENT_VENV" "$ROOT/requirements/current-stack.txt"
fi
install_r_package
say "done: R uses $R_VENV (numpy < 2); the current stack is in $CURRENT_VENV"
