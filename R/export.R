#' The learning rate of every step in TensorBoard
#'
#' Creates a Keras callback that writes the learning rate the optimizer
#' applied at every training step (and the momentum, when the policy cycles
#' it) to TensorBoard event files, at the steps' own numbers (the
#' `iteration` column of `$history`), also with `steps_per_execution > 1`.
#' It writes from the policy's history, one record per step, at an epoch
#' end once 5 seconds have passed since its last write and when training
#' ends, so it adds no work per batch. Pass it to `fit()` after the policy
#' callback; look at the curves with `tensorboard --logdir <log_dir>`
#' (scalars `<prefix>lr` and `<prefix>momentum` under `<log_dir>/train`).
#' Writing event files needs TensorFlow in the Python that R uses (with any
#' Keras backend).
#'
#' @param callback The kerasclr callback whose rates to write (made by
#'   [new_callback_cyclical_learning_rate()] or another kerasclr policy).
#' @param log_dir Folder of the event files (created when needed).
#' @param prefix Prefix of the scalar names.
#' @return A Keras callback (the Python `kerasclr.TensorBoardRates`), for
#'   the `callbacks` of `fit()`.
#' @seealso [write_lr_history_csv()]; keras3's `callback_tensorboard()`
#'   writes the logs of each epoch.
#' @export
#' @examplesIf kerasclr_available() && reticulate::py_module_available("tensorflow")
#' wsd <- new_callback_wsd(max_lr = 0.01, total_steps = 100, warmup_steps = 10)
#' log_dir <- file.path(tempdir(), "logs")
#' rates <- new_callback_tensorboard_rates(wsd, log_dir)
#' rates
#' @examples
#' \dontrun{
#' model |> fit(x, y, epochs = 10, callbacks = list(wsd, rates))
#' # then, in a shell: tensorboard --logdir logs
#' }
new_callback_tensorboard_rates <- function(callback, log_dir, prefix = "kerasclr/") {
  check_required()
  py_invoke(py_gateway()$check_callback, list("callback", callback))
  log_dir <- check_path(log_dir)
  rates <- py_invoke(py_core()$TensorBoardRates, list(callback, log_dir = log_dir,
                                                       prefix = as_py_value(prefix)))
  if (!inherits(rates, "kerasclr_tensorboard_rates")) {
    # in place, as as_kerasclr_callback() does
    class(rates) <- c("kerasclr_tensorboard_rates", class(rates))
  }
  rates
}

# One line, like a policy callback's: the scalars it writes, where, the rows
# written so far and the policy (its own one-line summary).
#' @export
format.kerasclr_tensorboard_rates <- function(x, ...) {
  if (reticulate::py_is_null_xptr(x) || !reticulate::py_available()) {
    return("<TensorBoardRates: no Python object (made in another R session)>")
  }
  field <- function(name) reticulate::py_to_r(reticulate::py_get_attr(x, name))
  policy <- reticulate::py_get_attr(x, "policy")
  momentum <- isTRUE(reticulate::py_to_r(reticulate::py_get_attr(policy, "cycle_momentum")))
  scalars <- paste0(field("prefix"), c("lr", if (momentum) "momentum"))
  sprintf("<TensorBoardRates scalars=%s log_dir=%s rows_written=%s policy=%s>",
          paste(scalars, collapse = ","), encodeString(field("log_dir"), quote = "\""),
          format(field("rows_written")), reticulate::py_repr(policy))
}

#' @export
print.kerasclr_tensorboard_rates <- function(x, ...) {
  cat(format(x), "\n", sep = "")
  invisible(x)
}

#' @importFrom utils str
#' @export
str.kerasclr_tensorboard_rates <- function(object, ...) {
  cat(format(object), "\n", sep = "")
  invisible()
}

#' Write a learning-rate history table as CSV
#'
#' Writes the per-step `$history` (or the per-epoch `$history_epoch`) of a
#' kerasclr callback to a CSV file, so that [utils::read.csv()] gives back
#' the same data frame (and pandas's `read_csv()` the same table): numbers
#' with 17 significant digits (with a decimal point in double columns, so a
#' column of whole numbers stays a double column), logical columns as
#' `TRUE`/`FALSE` and NaN as `NaN`.
#'
#' @param callback A kerasclr callback (made by
#'   [new_callback_cyclical_learning_rate()] or another kerasclr policy).
#' @param path Path of the CSV file.
#' @param table `"history"` (one row per step) or `"history_epoch"` (one row
#'   per epoch).
#' @return `path`, invisibly.
#' @seealso [new_callback_tensorboard_rates()], [compare_clr_histories()]
#' @export
#' @examplesIf kerasclr_available()
#' clr <- new_callback_cyclical_learning_rate(step_size = 6, verbose = 0)
#' replay_epochs(clr, steps_per_epoch = 13, epochs = 2)
#' path <- write_lr_history_csv(clr, tempfile(fileext = ".csv"))
#' identical(read.csv(path), clr$history)
write_lr_history_csv <- function(callback, path, table = c("history", "history_epoch")) {
  check_required()
  py_invoke(py_gateway()$check_callback, list("callback", callback))
  path <- check_path(path)
  args <- capture_args(ignore = c("callback", "path"))
  py_invoke(py_core()$write_history_csv, c(list(callback, path), args))
  invisible(path)
}
