# Package start-up, the Python core and the gateway every R function calls
# Python through.
#
# The math and all state live in the Python core, which this package carries
# in inst/python/kerasclr (a copy of python/kerasclr made by
# tools/bundle-python.sh). It is imported from there into whatever Python the
# R session uses (keras3's environment, RETICULATE_PYTHON, use_python(), the
# environment reticulate::py_require() provides, or "r-kerasclr" made by
# install_kerasclr()); nothing is pip-installed.
#
# Helpers for the R files of the package:
#   py_core()              the Python module `kerasclr` (imported on first use;
#                          an error that says what to do when it cannot be).
#   py_gateway()           the module `kerasclr._r` (what R alone needs).
#   py_invoke(fn, args)    call the Python function `fn` with the R list
#                          `args` (named elements are keyword arguments)
#                          through `kerasclr._r.call`; a Python error becomes
#                          an R error in R terms attributed to the calling
#                          exported function, kerasclr's Python warnings
#                          become R warnings.
#   capture_args()         the calling function's arguments as a list for
#                          py_invoke(), keras3-style (R/args.R).
#   columns_to_frame(x)    kerasclr._r.frame_columns() output -> data.frame.

.kerasclr <- new.env(parent = emptyenv())

.onLoad <- function(libname, pkgname) {
  register_python_error_methods()
  declare_python_requirements()
  offer_own_environment()
  import_core_with_keras()
}

default_envname <- function() "r-kerasclr"

# reticulate >= 1.41 provides a Python with the packages that R packages
# declare through py_require(); older versions need an environment.
has_py_require <- function() utils::packageVersion("reticulate") >= "1.41"

# reticulate 1.38 is the first that can load NumPy 2.
reticulate_needs_numpy1 <- function() utils::packageVersion("reticulate") < "1.38"

# The Python packages the core imports, and a Keras backend unless keras3 is
# loaded (keras3 declares its backend itself; loaded after kerasclr, it
# replaces the backend requirement kerasclr made).
python_requirements <- function() {
  packages <- c("keras", "numpy", "pandas")
  if (!isNamespaceLoaded("keras3")) {
    packages <- c(packages, backend_package())
  }
  packages
}

backend_package <- function() {
  switch(Sys.getenv("KERAS_BACKEND", "tensorflow"),
    jax = "jax[cpu]",
    torch = "torch",
    if (Sys.info()[["sysname"]] == "Linux") "tensorflow-cpu" else "tensorflow"
  )
}

declare_python_requirements <- function() {
  if (!has_py_require()) {
    return(invisible())
  }
  packages <- python_requirements()
  if (reticulate::py_available(initialize = FALSE)) {
    # Python runs already: add only what it lacks (adding a package it has
    # would make reticulate rebuild its environment for nothing).
    modules <- sub("^([A-Za-z0-9_.-]+).*$", "\\1", packages)
    modules <- sub("-cpu$", "", modules)
    packages <- packages[!vapply(modules, reticulate::py_module_available, TRUE)]
  }
  if (length(packages)) {
    # (looked up at run time: reticulate before 1.41 has no py_require())
    py_require <- getExportedValue("reticulate", "py_require")
    py_require(packages)
  }
  invisible()
}

# The environment install_kerasclr() makes is used only when the session has
# chosen no other: not with RETICULATE_PYTHON, use_python()/use_virtualenv()
# or an activated virtualenv (reticulate looks at those first), and, with
# reticulate >= 1.41, not when keras3 is installed: keras3 users run in
# keras3's environment ("r-keras", or the one py_require() provides), in
# whichever order the two packages are loaded. reticulate >= 1.41 tries the
# environments of delay-loaded imports by priority after those choices;
# older reticulate tries optional use_virtualenv() choices.
offer_own_environment <- function() {
  if (reticulate::py_available(initialize = FALSE) ||
      nzchar(Sys.getenv("RETICULATE_PYTHON")) ||
      !reticulate::virtualenv_exists(default_envname())) {
    return(invisible())
  }
  if (has_py_require()) {
    if (!nzchar(system.file(package = "keras3"))) {
      reticulate::import("keras", delay_load = list(environment = default_envname(),
                                                    priority = -10L))
    }
  } else {
    try(reticulate::use_virtualenv(default_envname(), required = FALSE), silent = TRUE)
  }
  invisible()
}

# The core is imported as soon as Python imports keras, so that with
# `library(kerasclr)` alone Keras can load what kerasclr registers (models
# saved during a fit, e.g. checkpoints). A core that cannot be imported is
# left to the first kerasclr function (which says why); keras works as ever.
import_core_with_keras <- function() {
  hook <- function() try(load_core(), silent = TRUE)
  if (reticulate::py_available(initialize = FALSE) &&
      reticulate::py_to_r(reticulate::import("sys", convert = FALSE)$modules$
                            `__contains__`("keras"))) {
    hook()
  } else {
    setHook(paste("reticulate", "keras", "load", sep = "::"), hook)
  }
  invisible()
}

# The Python module `kerasclr`, imported on first use.
py_core <- function() {
  if (is.null(.kerasclr$core)) {
    load_core()
  }
  .kerasclr$core
}

py_gateway <- function() {
  if (is.null(.kerasclr$gateway)) {
    load_core()
  }
  .kerasclr$gateway
}

load_core <- function(call = NULL) {
  problem <- core_problem()
  if (!is.null(problem)) {
    stop(simpleError(problem, call))
  }
  if (is.null(imported_core())) {
    reticulate::import_from_path("kerasclr", path = bundle_path())
  }
  .kerasclr$core <- reticulate::import("kerasclr")
  .kerasclr$gateway <- reticulate::import("kerasclr._r")
  .kerasclr$gateway$use_r_wording(TRUE)
  invisible(.kerasclr$core)
}

bundle_path <- function() system.file("python", package = "kerasclr")

# The version written in the bundled core's __init__.py (no Python needed).
bundled_version <- function() {
  init <- file.path(bundle_path(), "kerasclr", "__init__.py")
  if (!file.exists(init)) {
    return(NA_character_)
  }
  line <- grep("^__version__ *= *", readLines(init, warn = FALSE), value = TRUE)
  if (!length(line)) NA_character_ else gsub("^__version__ *= *[\"']|[\"'].*$", "", line[[1]])
}

# The module `kerasclr` when Python has imported it already (NULL otherwise).
imported_core <- function() {
  modules <- reticulate::import("sys", convert = FALSE)$modules
  if (!reticulate::py_to_r(modules$`__contains__`("kerasclr"))) {
    return(NULL)
  }
  reticulate::import("kerasclr")
}

# NULL when the Python core can be used, otherwise the message that says what
# is wrong and what to do.
core_problem <- function() {
  r_version <- as.character(utils::packageVersion("kerasclr"))
  bundled <- bundled_version()
  if (!identical(bundled, r_version)) {
    return(paste0(
      "This installation of the R package kerasclr (", r_version, ") carries ",
      if (is.na(bundled)) "no Python core" else paste("a Python core of version", bundled),
      " (", file.path(bundle_path(), "kerasclr"), "). Reinstall the R package ",
      "kerasclr."
    ))
  }
  python <- tryCatch(quiet_py_config()$python, error = function(e) NULL)
  if (is.null(python) || !reticulate::py_available(initialize = TRUE)) {
    return(paste0("kerasclr needs Python, but reticulate did not find one. ",
                  install_hint()))
  }
  if (reticulate_needs_numpy1()) {
    numpy <- tryCatch(as.character(quiet_py_config()$numpy$version),
                      error = function(e) character())
    if (length(numpy) == 1L && utils::compareVersion(numpy, "2") >= 0) {
      return(paste0(
        "The Python that R uses (", python, ") has NumPy ", numpy, ", which ",
        "reticulate ", utils::packageVersion("reticulate"), " cannot load ",
        "(reticulate >= 1.38 can). Update reticulate, or use a Python with ",
        "NumPy < 2: `kerasclr::install_kerasclr()` makes one; restart R."
      ))
    }
  }
  needed <- c("keras", "numpy", "pandas")
  missing <- needed[!vapply(needed, reticulate::py_module_available, TRUE)]
  if (length(missing)) {
    return(paste0(
      "The Python that R uses (", python, ") has no ",
      paste0("`", missing, "`", collapse = ", "), ", which kerasclr needs. ",
      install_hint()
    ))
  }
  core <- imported_core()
  if (!is.null(core)) {
    version <- as.character(reticulate::py_get_attr(core, "__version__"))
    if (!identical(version, r_version)) {
      return(paste0(
        "Python has already imported kerasclr ", version, " (",
        as.character(reticulate::py_get_attr(core, "__file__")), "), but the R ",
        "package kerasclr ", r_version, " needs the core of its own version. ",
        "Restart R and use kerasclr before importing kerasclr in Python."
      ))
    }
  }
  NULL
}

install_hint <- function() {
  chosen <- Sys.getenv("RETICULATE_PYTHON")
  if (nzchar(chosen)) {
    return(paste0(
      "RETICULATE_PYTHON is set (", chosen, "): install keras, numpy and pandas ",
      "into that Python (`reticulate::py_install(c(\"keras\", \"numpy\", ",
      "\"pandas\"))`), or unset it and run `kerasclr::install_kerasclr()`; ",
      "then restart R."
    ))
  }
  paste0(
    if (has_py_require()) paste0(
      "In a new R session, use kerasclr (or keras3) before anything starts ",
      "Python: it declares its Python packages with `reticulate::py_require()`. ",
      "Or run "
    ) else "Run ",
    "`kerasclr::install_kerasclr()` and restart R."
  )
}

# reticulate's configuration (initialises Python), without reticulate's
# warning about a pyproject.toml that is not a Poetry project (a checkout of
# kerasclr has one).
quiet_py_config <- function() {
  withCallingHandlers(
    reticulate::py_config(),
    warning = function(w) {
      if (grepl("pyproject.toml", conditionMessage(w), fixed = TRUE)) {
        invokeRestart("muffleWarning")
      }
    }
  )
}

# Call `fn` (a Python callable) with `args` through kerasclr._r.call.
py_invoke <- function(fn, args = list(), call = sys.call(sys.parent()),
                      env = parent.frame()) {
  named <- if (is.null(names(args))) logical(length(args)) else nzchar(names(args))
  result <- py_gateway()$call(
    fn,
    if (any(!named)) unname(args[!named]),
    if (any(named)) args[named]
  )
  if (!isTRUE(result[[1]])) {
    stop(kerasclr_error(result[[2]], call, env))
  }
  for (message in unlist(result[[3]])) {
    warning(simpleWarning(message, call))
  }
  result[[2]]
}

# The R error of a failed call: an argument error is worded from its parts,
# the value as the user passed it in R when Python refused the whole
# argument; any other error is its R wording.
kerasclr_error <- function(fields, call, env) {
  message <- fields$r_message
  if (identical(fields$kind, "argument")) {
    got <- fields$r_got
    name <- fields$argument
    if (isTRUE(fields$whole_value) && exists(name, envir = env, inherits = FALSE)) {
      value <- get(name, envir = env, inherits = FALSE)
      if (!is.null(value)) {
        got <- describe_value(value)
      }
    }
    message <- sprintf("`%s` must %s %s, not %s.", name, fields$verb,
                       fields$r_expected, got)
  }
  structure(class = c("kerasclr_error", "error", "condition"),
            list(message = message, call = call))
}

# The output of kerasclr._r.frame_columns() (names, dtype kinds, columns)
# as a plain data.frame: int -> integer (double beyond R's range),
# bool -> logical, float -> double, no pandas attributes.
columns_to_frame <- function(parts) {
  names <- as.character(unlist(parts[[1]]))
  kinds <- as.character(unlist(parts[[2]]))
  columns <- Map(function(values, kind) {
    dim(values) <- NULL
    switch(kind,
      i = , u = if (is.integer(values)) values else as.double(values),
      b = as.logical(values),
      f = as.double(values),
      values
    )
  }, parts[[3]], kinds)
  names(columns) <- names
  rows <- if (length(columns)) length(columns[[1]]) else 0L
  structure(columns, class = "data.frame", row.names = .set_row_names(rows))
}

# A pandas DataFrame (a Python object) as a data.frame.
py_frame_to_r <- function(frame) {
  columns_to_frame(py_invoke(py_gateway()$frame_columns, list(frame)))
}

# Errors that kerasclr's callbacks raise inside a Keras fit() reach R through
# reticulate. reticulate >= 1.30 signals them as conditions of the Python
# class (here "kerasclr.errors.KerasclrError" and subclasses): kerasclr gives
# them their R wording, without reticulate's class prefix and
# `py_last_error()` hint, and no call (the call would be reticulate's
# internal py_call_impl()). From reticulate 1.40 the condition is also of
# class "kerasclr_error", as kerasclr's own R errors are (the Python errors
# derive from a class of that name without a module; python/kerasclr/errors.py).
# Older reticulate (1.28) signals a plain C++ error whose message is
# "kerasclr.errors.<Class>: " and the R wording.
register_python_error_methods <- function() {
  error_class <- "kerasclr.errors.KerasclrError"
  registerS3method("conditionMessage", error_class, python_error_message,
                   envir = asNamespace("base"))
  registerS3method("conditionCall", error_class, function(c) NULL,
                   envir = asNamespace("base"))
}

python_error_message <- function(c) {
  message <- tryCatch(
    reticulate::py_to_r(reticulate::py_get_attr(c, "r_message")),
    error = function(e) NULL
  )
  if (is.character(message) && length(message) == 1L) message else c$message
}
