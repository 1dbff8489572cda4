# Paths shared by the tools/ scripts (sourced, not run): the checkout and the
# two Python environments that tools/setup.sh makes.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV_HOME="${WORKON_HOME:-$HOME/.virtualenvs}"
R_VENV="$VENV_HOME/r-kerasclr"             # numpy < 2: the environment R uses
CURRENT_VENV="$VENV_HOME/kerasclr-current" # the current stack, every backend
