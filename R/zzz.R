# Package start-up and the internal helpers every R file of kerasclr uses.
#
# The math and all state live in the Python core (python/kerasclr); the R side
# checks arguments, converts types and draws. Helpers for R files of the
# package (R/compare.R, R/range_test.R, R/policies.R, R/state.R, ...):
#
# Python access (this file):
#   py_core(convert)       the imported Python module `kerasclr` (errors that
#                          say what to run when it is missing or out of date);
#                          convert = FALSE keeps results as Python objects.
#   py_call(expr)          evaluate `expr` (calls into Python); a Python
#                          exception becomes an R error carrying the readable
#                          Python message (no traceback) with the R call.
#   py_attr(x, name)       attribute of a Python object, converted to R
#                          (whatever the object's `convert` setting).
#   py_frame_to_r(frame)   pandas DataFrame (unconverted Python object) ->
#                          plain data.frame; int columns -> integer, bool ->
#                          logical, float -> double, no pandas attributes.
#   as_py_scale_fn(fn)     R function of one number -> function Python can
#                          call on an array (element by element in R).
# Argument checks (R/checks.R), each returns the cleaned value (doubles for
# numbers) or stops with "`name` must be ..., not <value>." attributed to the
# exported function (`call = sys.call(-1)` of the checker; pass `call` down
# when checking in a helper). Building blocks for new checks:
#   describe_value(x)      "0.5", "\"abc\"", "NULL", "a double vector of length 3"
#   check_stop(..., call)  stop() with the pasted message and that call
#   check_number(x, name, min, max, min_inclusive, max_inclusive, allow_inf)
#   check_count(x, name, min, allow_inf)     whole numbers (returned as double)
#   check_flag(x, name)                      TRUE / FALSE
#   check_choice(x, choices, name)           match.arg-like, one string
#   check_bounds(base_lr, max_lr, base_name, max_name)
#   check_function(x, name, null_ok)
#   check_callback(x, name)                  a kerasclr Python callback
# Callbacks (R/callback.R):
#   as_kerasclr_callback(py_obj)  adds the R class "kerasclr_callback" so that
#                          print(), $history / $history_epoch (data.frames)
#                          and plot_clr_history() work for any policy that
#                          has `history` / `history_epoch` attributes.
# Plots (R/plot.R):
#   clr_plot_frame(callback, granularity)   data of a plot, from Python's
#                          kerasclr.clr_plot_data(), as a data.frame.
#   require_ggplot2()      stop with an install hint when ggplot2 is missing.
#   lr_plot_ggplot(data, xlab, trans_y_axis, title) / lr_plot_base(...)
#                          draw columns x, lr, base_lr, max_lr.

.kerasclr <- new.env(parent = emptyenv())

.onLoad <- function(libname, pkgname) {
  # Use the virtualenv that install_kerasclr() / tools/setup.sh create, unless
  # the user chose a Python already (RETICULATE_PYTHON or an initialised one).
  if (!reticulate::py_available(initialize = FALSE) &&
      !nzchar(Sys.getenv("RETICULATE_PYTHON")) &&
      reticulate::virtualenv_exists(default_envname())) {
    try(reticulate::use_virtualenv(default_envname(), required = FALSE),
        silent = TRUE)
  }
  .kerasclr$core <- NULL
  .kerasclr$core_raw <- NULL
}

default_envname <- function() "r-kerasclr"

# The Python module `kerasclr`, imported on first use and checked against the
# version of the R package. `convert = FALSE` gives the module whose results
# stay Python objects (e.g. a pandas DataFrame for py_frame_to_r()).
py_core <- function(convert = TRUE) {
  key <- if (convert) "core" else "core_raw"
  if (!is.null(.kerasclr[[key]])) {
    return(.kerasclr[[key]])
  }
  problem <- core_problem()
  if (!is.null(problem)) {
    stop(problem, call. = FALSE)
  }
  .kerasclr[[key]] <- reticulate::import("kerasclr", convert = convert)
  .kerasclr[[key]]
}

# NULL when the Python core can be used, otherwise the message that says
# what is wrong and what to run.
core_problem <- function() {
  python <- tryCatch(
    quiet_py_config()$python,
    error = function(e) NULL
  )
  if (is.null(python) || !reticulate::py_available(initialize = TRUE)) {
    return(paste0("kerasclr needs Python, but reticulate did not find one. ",
                  install_hint()))
  }
  if (!reticulate::py_module_available("kerasclr")) {
    return(paste0(
      "The Python core of kerasclr is not installed in the Python that R uses (",
      python, "). ", install_hint()
    ))
  }
  py_version <- tryCatch(
    reticulate::py_to_r(reticulate::import("kerasclr", convert = FALSE)$`__version__`),
    error = function(e) paste0("unknown (", conditionMessage(e), ")")
  )
  version_problem(py_version, as.character(utils::packageVersion("kerasclr")), python)
}

install_hint <- function() {
  hint <- paste0(
    "Run `kerasclr::install_kerasclr()` and restart R",
    " (in a checkout of kerasclr: `bash tools/setup.sh`)."
  )
  chosen <- Sys.getenv("RETICULATE_PYTHON")
  if (nzchar(chosen)) {
    hint <- paste0(
      hint, " RETICULATE_PYTHON is set (", chosen, "): unset it to use the ",
      "environment \"", default_envname(), "\", or install the core into that ",
      "Python (`install_kerasclr(envname = ...)`)."
    )
  }
  hint
}

# NULL when the versions of the Python core and the R package agree.
version_problem <- function(py_version, r_version, python) {
  if (identical(py_version, r_version)) {
    return(NULL)
  }
  paste0(
    "The Python core of kerasclr in ", python, " has version ", py_version,
    " but the R package kerasclr has version ", r_version, ". ", install_hint()
  )
}

# reticulate's configuration (initialises Python), without reticulate's
# warning about a pyproject.toml that is not a Poetry project (the checkout
# of kerasclr has one).
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

# Evaluate `expr`, turning a Python exception into an R error with the
# readable Python message, attributed to the caller of the function that
# uses py_call().
py_call <- function(expr, call = sys.call(-1)) {
  tryCatch(expr, error = function(e) {
    stop(simpleError(clean_py_message(conditionMessage(e)), call))
  })
}

py_attr <- function(x, name) {
  reticulate::py_to_r(reticulate::py_get_attr(x, name))
}

# Drop reticulate's traceback and hints from a Python error message.
clean_py_message <- function(message) {
  message <- sub("\n*Detailed traceback:.*$", "", message)
  message <- sub("\n*Run `reticulate::py_last_error\\(\\)` for details\\.?.*$", "",
                 message)
  message <- sub("^Error in py_call_impl\\([^)]*\\) *: *\n?", "", message)
  trimws(message)
}

# pandas DataFrame (a Python object, converted or not) -> plain R data.frame.
py_frame_to_r <- function(frame) {
  if (is.null(.kerasclr$frame_columns)) {
    .kerasclr$frame_columns <- reticulate::py_eval(paste(
      "lambda f: ([str(c) for c in f.columns],",
      "[f[c].dtype.kind for c in f.columns],",
      "[f[c].to_numpy() for c in f.columns])"
    ), convert = FALSE)
  }
  parts <- reticulate::py_to_r(reticulate::py_call(.kerasclr$frame_columns, frame))
  names <- as.character(unlist(parts[[1]]))
  kinds <- as.character(unlist(parts[[2]]))
  columns <- Map(function(values, kind) {
    values <- as.vector(values)
    switch(kind,
      i = , u = if (all(abs(values) <= .Machine$integer.max)) {
        as.integer(values)
      } else {
        as.double(values)
      },
      b = as.logical(values),
      f = as.double(values),
      values
    )
  }, parts[[3]], kinds)
  names(columns) <- names
  if (length(columns) == 0L) {
    return(data.frame())
  }
  as.data.frame(columns, stringsAsFactors = FALSE, optional = TRUE)
}

# An R function of one number, as a function Python may call with an array:
# the R function is called once per element and must return one number.
as_py_scale_fn <- function(fn) {
  force(fn)
  function(x) {
    x <- as.double(x)
    values <- vapply(seq_along(x), function(i) {
      value <- fn(x[[i]])
      if (!is.numeric(value) || length(value) != 1L) {
        stop(sprintf(
          "`scale_fn` must return one number, not %s for %s.",
          describe_value(value), format(x[[i]])
        ), call. = FALSE)
      }
      as.double(value)
    }, numeric(1))
    array(values, dim = length(values))
  }
}
