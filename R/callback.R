#' Cyclical learning rate callback
#'
#' Creates a Keras callback that cycles the learning rate between `base_lr`
#' and `max_lr` (Smith, arXiv:1506.01186), and shrinks that band by `factor`
#' when the validation loss has not improved for more than `patience` epochs
#' (the extension of the 'KerasMisc' package). The learning rate is exact at
#' every optimizer step.
#'
#' For a cycle iteration counter `c` (0, 1, 2, ...):
#' `cycle = floor(1 + c / (2 * step_size))`,
#' `x = |c / step_size - 2 * cycle + 1|` and
#' `lr = base_lr + (max_lr - base_lr) * max(0, 1 - x) * scale`, where `scale`
#' is 1 (`"triangular"`), `1 / 2^(cycle - 1)` (`"triangular2"`),
#' `gamma^c` (`"exp_range"`) or `scale_fn(cycle)` / `scale_fn(c)`.
#'
#' The value is the Python callback object itself (a `CyclicLR`), so it
#' can be passed unchanged to `fit()` of
#' 'keras3' or of a Keras model used through [reticulate::import()]. It also
#' has the R class `kerasclr_callback`: [print()] gives a one-line summary,
#' `$history` and `$history_epoch` are R data frames, a misspelt field
#' (`$histroy`) is an error that lists the fields, and
#' [plot_clr_history()] plots it.
#'
#' @param base_lr Lower bound of the cycle (>= 0).
#' @param max_lr Upper bound of the cycle (>= `base_lr`).
#' @param step_size Training iterations (batches) per half cycle (>= 1; need
#'   not be a whole number).
#' @param mode One of `"triangular"`, `"triangular2"` or `"exp_range"`;
#'   ignored when `scale_fn` is given.
#' @param gamma For `"exp_range"`: the scale is `gamma^iteration`; in (0, 1].
#' @param scale_fn `NULL` or an R function of one number that returns one
#'   number in \[0, 1\]; it overrides `mode`.
#' @param scale_mode What `scale_fn` is evaluated on: `"cycle"` or
#'   `"iteration"` (`"iterations"` is accepted too).
#' @param patience Epochs without improvement of `val_loss` before the band
#'   shrinks; `Inf` (default) never shrinks it. A finite `patience` needs
#'   validation data in `fit()`.
#' @param factor Multiplier of the bounds at a reduction, in (0, 1].
#' @param decrease_base_lr Whether `base_lr` shrinks too.
#' @param cooldown Epochs to wait after a reduction before the next one.
#' @param verbose 0 for silence, 1 for a message at every reduction and
#'   cooldown epoch.
#' @param cycle_momentum Cycle the optimizer's momentum against the learning
#'   rate (PyTorch's `CyclicLR` formula:
#'   `max_momentum - (max_momentum - base_momentum) * max(0, 1 - x) * scale`),
#'   looked up in the compiled train step like the learning rate. Off by
#'   default; needs `SGD`/`RMSprop` with a momentum > 0, `Adam` or `AdamW`.
#'   Adds a `momentum` column to both histories.
#' @param base_momentum,max_momentum Momentum at the top / bottom of the
#'   learning-rate cycle, in (0, 1).
#' @param monitor The logged value the plateau control watches (default
#'   `"val_loss"`, as in 'KerasMisc').
#' @param monitor_mode `"min"` (lower is better) or `"max"`.
#' @param min_lr The band never shrinks below this learning rate (>= 0).
#'
#' @return The Python `CyclicLR` callback with the extra R class
#'   `kerasclr_callback`. After training:
#'   * `$history`: data frame with one row per training batch: `iteration`
#'     (integer, 0-based), `epoch` (integer, 1-based), `lr` (the learning
#'     rate the batch was trained with), `base_lr`, `max_lr`;
#'   * `$history_epoch`: data frame with one row per epoch: the epoch's logs
#'     (`loss`, metrics, `val_loss`, ...; `NA` in an epoch that did not log
#'     it, e.g. without validation, `NaN` for a logged NaN), then `epoch` (integer),
#'     `not_improved_for_n_times` (integer), `base_lr`, `max_lr`, `lr` (the
#'     learning rate of the next batch) and `in_cooldown` (logical).
#'
#' @seealso [reset_cyclical_learning_rate()], [plot_clr_history()],
#'   [clr_schedule()], [replay_epochs()]
#' @export
#' @examplesIf kerasclr_available()
#' callback_clr <- new_callback_cyclical_learning_rate(
#'   step_size = 32, base_lr = 0.001, max_lr = 0.006,
#'   gamma = 0.99, mode = "exp_range", verbose = 0
#' )
#' callback_clr
#' # Train without a model: 5 epochs of 13 batches.
#' replay_epochs(callback_clr, steps_per_epoch = 13, epochs = 5)
#' head(callback_clr$history)
#' callback_clr$history_epoch
#' @examples
#' \dontrun{
#' keras <- reticulate::import("keras")
#' model$fit(x, y, validation_data = list(xv, yv), epochs = 10L,
#'           callbacks = list(callback_clr))
#' # or, with the keras3 package:
#' model |> fit(x, y, validation_data = list(xv, yv), epochs = 10,
#'              callbacks = list(callback_clr))
#' }
new_callback_cyclical_learning_rate <- function(base_lr = 0.001,
                                                max_lr = 0.006,
                                                step_size = 2000,
                                                mode = c("triangular", "triangular2",
                                                         "exp_range"),
                                                gamma = 1,
                                                scale_fn = NULL,
                                                scale_mode = c("cycle", "iteration",
                                                               "iterations"),
                                                patience = Inf,
                                                factor = 0.9,
                                                decrease_base_lr = TRUE,
                                                cooldown = 2,
                                                verbose = 1,
                                                cycle_momentum = FALSE,
                                                base_momentum = 0.8,
                                                max_momentum = 0.9,
                                                monitor = "val_loss",
                                                monitor_mode = c("min", "max"),
                                                min_lr = 0) {
  args <- capture_args(list(scale_fn = as_py_scale_fn))
  as_kerasclr_callback(py_invoke(py_core()$CyclicLR, args))
}

#' Restart the cycle of a cyclical learning rate callback
#'
#' Sets the cycle counter and the not-improved counter to 0 and makes the
#' next batch use the (new) `base_lr`, optionally with new bounds or a new
#' step size. The training iteration counter and the histories are kept.
#' Allowed between `fit()` calls and during training.
#'
#' @param callback A callback made by [new_callback_cyclical_learning_rate()].
#' @param new_base_lr,new_max_lr,new_step_size New bounds / step size, or
#'   `NULL` to keep the current ones.
#' @return `callback`, invisibly (it is changed in place).
#' @export
#' @examplesIf kerasclr_available()
#' clr <- new_callback_cyclical_learning_rate(step_size = 6, verbose = 0)
#' replay_epochs(clr, steps_per_epoch = 13, epochs = 2)
#' reset_cyclical_learning_rate(clr, new_base_lr = 0.0005, new_max_lr = 0.003,
#'                              new_step_size = 4)
#' replay_epochs(clr, steps_per_epoch = 13, epochs = 1)
#' tail(clr$history)
reset_cyclical_learning_rate <- function(callback, new_base_lr = NULL, new_max_lr = NULL,
                                         new_step_size = NULL) {
  check_required()
  py_invoke(py_gateway()$check_callback, list("callback", callback, "reset"))
  py_invoke(callback$reset, capture_args(ignore = "callback"))
  invisible(callback)
}

# Give a Python kerasclr callback the R class "kerasclr_callback" (in place:
# Python objects are environments, so every R reference sees the class).
as_kerasclr_callback <- function(x) {
  if (!inherits(x, "kerasclr_callback")) {
    class(x) <- c("kerasclr_callback", class(x))
  }
  x
}

# `$history` and `$history_epoch` as data frames; other names the Python
# object has reach it. A name it does not have is an R error that names it
# and lists the callback's fields (instead of Python's AttributeError).
callback_field <- function(x, name, ...) {
  if (is.character(name) && length(name) == 1L && !is.na(name)) {
    if (name %in% c("history", "history_epoch")) {
      return(history_frame(x, name))
    }
    if (!has_python_field(x, name)) {
      call <- sys.call()
      field <- if (.Generic == "$") as.name(name) else name
      stop(unknown_field_error(x, name, as.call(list(as.name(.Generic), call[[2]], field))))
    }
  }
  NextMethod()
}

# Whether the Python object has the attribute `name` (also a property that
# fails when read: Python says why). Without Python, or for an object that
# did not survive a saved session, reticulate answers as it does.
has_python_field <- function(x, name) {
  reticulate::py_is_null_xptr(x) || !reticulate::py_available() ||
    reticulate::py_has_attr(x, name) || name %in% reticulate::py_list_attributes(x)
}

# "`histroy` is not a field of this CyclicLR callback. Did you mean
# `history`? Its fields are `history`, `history_epoch` and its arguments
# (base_lr, ...); `names(cb)` lists every Python attribute and method."
unknown_field_error <- function(x, name, call) {
  policy <- tryCatch(reticulate::py_to_r(reticulate::py_get_attr(x, "policy_name")),
                     error = function(e) NULL)
  policy <- if (is.character(policy) && length(policy) == 1L) paste(policy, "callback") else
    "kerasclr callback"
  attributes <- reticulate::py_list_attributes(x)
  attributes <- attributes[!startsWith(attributes, "_")]
  arguments <- tryCatch(
    names(reticulate::py_to_r(reticulate::py_call(reticulate::py_get_attr(x, "get_config")))),
    error = function(e) character()
  )
  fields <- unique(c("history", "history_epoch", intersect(arguments, attributes)))
  candidates <- union(fields, attributes)
  distance <- utils::adist(name, candidates, ignore.case = TRUE)[1, ]
  close <- candidates[distance <= max(1, nchar(name) %/% 3) & distance == min(distance)]
  object <- call[[2]]
  object <- if (is.name(object)) as.character(object) else "callback"
  message <- paste0(
    "`", name, "` is not a field of this ", policy, ".",
    if (length(close)) paste0(" Did you mean ", paste0("`", close, "`", collapse = " or "), "?"),
    " Its fields are `history`, `history_epoch` and its arguments",
    if (length(fields) > 2L) paste0(" (", paste(fields[-(1:2)], collapse = ", "), ")"),
    "; `names(", object, ")` lists every Python attribute and method."
  )
  structure(class = c("kerasclr_error", "error", "condition"),
            list(message = message, call = call))
}

#' @export
`$.kerasclr_callback` <- callback_field

#' @export
`[[.kerasclr_callback` <- callback_field

# A history table as a data frame, built once per change of the Python
# history: the frame is kept in the callback's R object (an environment)
# with the callback's `history_version`, and rebuilt only when that counter
# has moved (always, for a callback without one).
history_frame <- function(x, name) {
  version <- reticulate::py_get_attr(x, "history_version", silent = TRUE)
  version <- if (!is.null(version)) reticulate::py_to_r(version)
  cache <- get0(".kerasclr_history", envir = x, inherits = FALSE)
  if (!is.null(version) && identical(cache$version, version) &&
      !is.null(cache[[name]])) {
    return(cache[[name]])
  }
  parts <- py_invoke(py_gateway()$history_table, list(x, name))
  frame <- columns_to_frame(parts[[2]])
  # an epoch that logged no value of a column (e.g. no val_loss): NA, R's
  # missing value; a logged NaN stays NaN
  for (column in names(parts[[3]])) {
    frame[[column]][as.integer(parts[[3]][[column]]) + 1L] <- NA_real_
  }
  version <- parts[[1]]
  if (!is.null(version)) {
    if (!identical(cache$version, version)) {
      cache <- list(version = version)
    }
    cache[[name]] <- frame
    assign(".kerasclr_history", cache, envir = x)
  }
  frame
}

#' @export
format.kerasclr_callback <- function(x, ...) {
  reticulate::py_repr(x)
}

#' @export
print.kerasclr_callback <- function(x, ...) {
  cat(format(x), "\n", sep = "")
  invisible(x)
}
