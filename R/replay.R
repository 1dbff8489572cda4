#' Replay training epochs without a model
#'
#' Drives a kerasclr callback through the Keras hooks of `epochs` epochs of
#' `steps_per_epoch` batches, with the given validation losses, without a
#' model: the schedule, the plateau logic and the histories are exactly
#' those of `fit()`. Call it again to continue (like a second `fit()`).
#' Useful to see what a policy would do for a sequence of validation losses.
#'
#' @param callback A callback made by [new_callback_cyclical_learning_rate()]
#'   (or another kerasclr policy).
#' @param steps_per_epoch Training batches per epoch (>= 1).
#' @param val_loss `NULL` or a numeric vector of validation losses, one per
#'   epoch (`NA`: no `val_loss` that epoch, `NaN`: a NaN `val_loss`).
#' @param epochs Number of epochs; defaults to `length(val_loss)`.
#' @return `callback`, invisibly, with its histories extended.
#' @export
#' @examplesIf kerasclr_available()
#' clr <- new_callback_cyclical_learning_rate(
#'   step_size = 26, patience = 1, factor = 0.5, cooldown = 1, verbose = 0)
#' replay_epochs(clr, steps_per_epoch = 13,
#'               val_loss = c(3, 2.5, 2.6, 2.7, 2.8, 2.4))
#' clr$history_epoch
replay_epochs <- function(callback, steps_per_epoch, val_loss = NULL, epochs = NULL) {
  check_required()
  py_invoke(py_gateway()$check_callback, list("callback", callback))
  if (!is.null(val_loss) && !is.numeric(val_loss) && !all(is.na(val_loss))) {
    check_stop("`val_loss` must be NULL or a numeric vector, not ",
               describe_value(val_loss), ".", call = sys.call())
  }
  args <- capture_args(list(val_loss = as_py_losses))
  # The callback's verbose messages go to R's console (capturable).
  call <- sys.call()
  output <- reticulate::py_capture_output(
    py_invoke(py_core()$replay_epochs, args, call = call, env = environment()),
    type = "stdout"
  )
  cat(output)
  invisible(as_kerasclr_callback(callback))
}

# Validation losses for Python: NA (not NaN) means "no val_loss that epoch",
# Python's None.
as_py_losses <- function(val_loss) {
  if (is.null(val_loss)) {
    return(NULL)
  }
  lapply(as.double(val_loss), function(v) if (is.na(v) && !is.nan(v)) NULL else v)
}
