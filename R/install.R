#' Install the Python core of kerasclr
#'
#' Creates a Python virtual environment (by default `"r-kerasclr"`, the one
#' kerasclr uses by itself when it is loaded) and installs into it the Python
#' stack kerasclr is tested with (NumPy < 2, which reticulate 1.28 needs,
#' TensorFlow CPU, Keras 3, pandas) and the Python core bundled with this
#' package. In the style of `keras3::install_keras()`. Restart R afterwards.
#'
#' @param envname Name of (or path to) the virtual environment.
#' @param python Python executable used to create the environment when it does
#'   not exist; `NULL` lets reticulate choose.
#' @param extra_packages More pip requirements to install, e.g. `"jax[cpu]"`.
#' @param new_env If `TRUE`, an existing environment `envname` is removed
#'   first.
#' @param ... Passed to [reticulate::virtualenv_install()].
#' @return The path of the environment's Python, invisibly.
#' @export
#' @examples
#' \dontrun{
#' install_kerasclr()
#' # then restart R, and:
#' kerasclr_available()
#' }
install_kerasclr <- function(envname = "r-kerasclr", python = NULL,
                             extra_packages = NULL, new_env = FALSE, ...) {
  if (!is.character(envname) || length(envname) != 1L || !nzchar(envname)) {
    stop("`envname` must be one non-empty string, not ", describe_value(envname), ".",
         call. = FALSE)
  }
  check_flag(new_env, "new_env")
  bundle <- system.file("python", package = "kerasclr")
  requirements <- file.path(bundle, "r-stack.txt")
  if (!nzchar(bundle) || !file.exists(file.path(bundle, "pyproject.toml")) ||
      !file.exists(requirements)) {
    stop("This installation of the R package kerasclr has no bundled Python core ",
         "(inst/python). Reinstall it from a checkout with `bash tools/setup.sh`.",
         call. = FALSE)
  }
  # pip runs as a child of R and inherits R's LD_LIBRARY_PATH, with which a
  # Python linked to a shared libpython (pyenv, for one) can load the
  # system's libpython instead of its own and lose modules such as ssl.
  old_path <- Sys.getenv("LD_LIBRARY_PATH", unset = NA)
  if (!is.na(old_path)) {
    Sys.unsetenv("LD_LIBRARY_PATH")
    on.exit(Sys.setenv(LD_LIBRARY_PATH = old_path), add = TRUE)
  }
  if (new_env && reticulate::virtualenv_exists(envname)) {
    reticulate::virtualenv_remove(envname, confirm = FALSE)
  }
  if (!reticulate::virtualenv_exists(envname)) {
    reticulate::virtualenv_create(envname, python = python, packages = NULL)
  }
  packages <- c(python_stack(requirements), extra_packages)
  reticulate::virtualenv_install(envname, packages = packages,
                                 ignore_installed = FALSE, ...)
  reticulate::virtualenv_install(envname, packages = bundle,
                                 ignore_installed = TRUE, pip_options = "--no-deps")
  python_path <- reticulate::virtualenv_python(envname)
  message(sprintf(
    "kerasclr's Python core is installed in %s. Restart R to use it.", python_path
  ))
  invisible(python_path)
}

# The pip requirements of the Python stack R uses: the bundled copy of
# requirements/r-stack.txt (one place for the pins), without the test tools.
python_stack <- function(requirements) {
  lines <- trimws(sub("#.*$", "", readLines(requirements, warn = FALSE)))
  lines <- lines[nzchar(lines)]
  lines[!grepl("^pytest", lines)]
}

#' Is the Python core of kerasclr available?
#'
#' `TRUE` when reticulate finds a Python with the kerasclr core of the same
#' version as this R package; `FALSE` otherwise (never an error). Use it to
#' guard code that needs Python. `kerasclr_python_problem()` gives the reason
#' (and what to run) when it is `FALSE`.
#'
#' @return `kerasclr_available()`: `TRUE` or `FALSE`.
#'   `kerasclr_python_problem()`: `NULL` or a message.
#' @export
#' @examples
#' kerasclr_available()
kerasclr_available <- function() {
  is.null(kerasclr_python_problem())
}

#' @rdname kerasclr_available
#' @export
kerasclr_python_problem <- function() {
  if (!is.null(.kerasclr$core)) {
    return(NULL)
  }
  tryCatch(core_problem(), error = function(e) conditionMessage(e))
}
