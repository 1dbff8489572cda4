#' Install a Python environment for kerasclr
#'
#' For R sessions that have no Python with Keras 3 yet. kerasclr runs in the
#' Python the session already uses -- keras3's environment, the one
#' `reticulate::py_require()` provides (reticulate >= 1.41), or the one
#' chosen with `RETICULATE_PYTHON` or `reticulate::use_python()` -- and
#' imports its Python core from the R package itself; it installs nothing
#' there. `install_kerasclr()` makes (or completes) a virtual environment,
#' by default `"r-kerasclr"`, with what kerasclr needs: NumPy, pandas,
#' Keras 3 and a backend (TensorFlow for the CPU by default).
#'
#' Only missing packages are installed, and nothing installed is
#' downgraded. NumPy is kept below 2 only when the reticulate in use needs it
#' (reticulate before 1.38 cannot load NumPy 2); an environment with NumPy 2
#' is then refused rather than downgraded. kerasclr uses `"r-kerasclr"` only
#' when the R session has chosen no other Python (and, with reticulate >= 1.41,
#' keras3 is not installed: keras3 users run in keras3's environment). In the
#' style of `keras3::install_keras()`. Restart R afterwards.
#'
#' @param envname Name of (or path to) the virtual environment.
#' @param python Python executable used to create the environment when it does
#'   not exist; `NULL` lets reticulate choose.
#' @param extra_packages More pip requirements to install, e.g. `"matplotlib"`.
#' @param new_env If `TRUE`, an existing environment `envname` is removed
#'   first.
#' @param backend The Keras backend to install when the environment has none:
#'   `"tensorflow"`, `"jax"` or `"torch"`.
#' @param ... Passed to [reticulate::virtualenv_create()].
#' @return The path of the environment's Python, invisibly.
#' @export
#' @examples
#' \dontrun{
#' install_kerasclr()
#' # then restart R, and:
#' kerasclr_available()
#' }
install_kerasclr <- function(envname = "r-kerasclr", python = NULL,
                             extra_packages = NULL, new_env = FALSE,
                             backend = c("tensorflow", "jax", "torch"), ...) {
  if (!is.character(envname) || length(envname) != 1L || is.na(envname) ||
      !nzchar(envname)) {
    stop("`envname` must be one non-empty string, not ", describe_value(envname), ".",
         call. = FALSE)
  }
  check_flag(new_env, "new_env")
  backend <- if (missing(backend)) "tensorflow" else
    check_choice(backend, c("tensorflow", "jax", "torch"), "backend")
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
    reticulate::virtualenv_create(envname, python = python, packages = NULL, ...)
  }
  python_path <- reticulate::virtualenv_python(envname)
  plan <- install_plan(installed_versions(python_path), reticulate_needs_numpy1(),
                       backend, extra_packages)
  if (is.character(plan)) {
    stop(sprintf(plan, envname), call. = FALSE)
  }
  if (length(plan$packages)) {
    constraints <- tempfile(fileext = ".txt")
    on.exit(unlink(constraints), add = TRUE)
    writeLines(plan$constraints, constraints)
    status <- system2(python_path, c("-m", "pip", "install", "--disable-pip-version-check",
                                     "-c", shQuote(constraints), shQuote(plan$packages)))
    if (!identical(status, 0L)) {
      stop(sprintf(
        "pip could not install %s into \"%s\" without changing what is installed there (%s); see its output above.",
        paste(plan$packages, collapse = ", "), envname,
        paste(plan$constraints, collapse = ", ")
      ), call. = FALSE)
    }
  }
  message(sprintf(
    "\"%s\" (%s) has what kerasclr needs. Restart R: kerasclr uses it when the session chooses no other Python%s.",
    envname, python_path,
    if (has_py_require() && nzchar(system.file(package = "keras3"))) paste0(
      " and keras3 is not installed (with keras3, kerasclr runs in keras3's environment; ",
      "call `reticulate::use_virtualenv(\"", envname, "\")` first to use this one)") else ""
  ))
  invisible(python_path)
}

# The versions of kerasclr's Python packages installed for `python` (a named
# character vector; missing packages absent).
installed_versions <- function(python) {
  script <- paste(
    "import importlib.metadata as m",
    "for name in ('numpy', 'pandas', 'keras', 'tensorflow', 'tensorflow-cpu', 'jax', 'torch'):",
    "    try: print(name, m.version(name))",
    "    except m.PackageNotFoundError: pass",
    sep = "\n"
  )
  lines <- system2(python, c("-c", shQuote(script)), stdout = TRUE)
  parts <- strsplit(lines, " ", fixed = TRUE)
  stats::setNames(vapply(parts, `[[`, "", 2L), vapply(parts, `[[`, "", 1L))
}

# What install_kerasclr() installs into an environment that has `installed`
# (see installed_versions()): list(packages, constraints), the pip
# constraints keeping every installed package at its version or above (and
# NumPy below 2 when `numpy1`); or, when that is impossible, the message
# (with "%s" for the environment's name).
install_plan <- function(installed, numpy1, backend = "tensorflow", extra = NULL) {
  has <- function(name) !is.na(installed[name])
  if (numpy1 && has("numpy") && utils::compareVersion(installed[["numpy"]], "2") >= 0) {
    return(paste0(
      "\"%s\" has NumPy ", installed[["numpy"]], ", which reticulate ",
      utils::packageVersion("reticulate"), " cannot load, and install_kerasclr() ",
      "does not downgrade: use another `envname`, `new_env = TRUE`, or ",
      "reticulate >= 1.38."
    ))
  }
  backends <- list(tensorflow = c("tensorflow", "tensorflow-cpu"), jax = "jax",
                   torch = "torch")
  packages <- c(
    if (!has("numpy")) if (numpy1) "numpy<2" else "numpy",
    if (!has("pandas")) "pandas",
    if (!has("keras") || utils::compareVersion(installed[["keras"]], "3") < 0) "keras>=3",
    if (!any(vapply(backends[[backend]], has, TRUE))) {
      switch(backend, jax = "jax[cpu]", torch = "torch", backend_package())
    },
    extra
  )
  keep <- names(installed)
  if (has("keras") && utils::compareVersion(installed[["keras"]], "3") < 0) {
    keep <- setdiff(keep, "keras")
  }
  constraints <- c(if (length(keep)) paste0(keep, ">=", installed[keep]),
                   if (numpy1) "numpy<2")
  list(packages = packages, constraints = constraints)
}

#' Is the Python core of kerasclr available?
#'
#' `TRUE` when the Python that R uses (see [install_kerasclr()]) has what
#' kerasclr needs (Keras 3, NumPy, pandas) and the core carried by this
#' package can be imported; `FALSE` otherwise (never an error). Use it to
#' guard code that needs Python. `kerasclr_python_problem()` gives the
#' reason (and what to do) when it is `FALSE`.
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
  tryCatch({
    load_core()
    NULL
  }, error = function(e) conditionMessage(e))
}
