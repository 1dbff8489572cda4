#' Save and restore the state of a kerasclr callback
#'
#' The state of a callback (its counters, current bounds, best validation
#' loss, cooldown, the learning rate of the next batch and both history
#' tables) is written to a JSON file by the Python core. Restored into a new
#' callback with the same arguments, training continues exactly as if it had
#' never stopped: save the model (`model$save("model.keras")`) and the
#' callback state after epoch `k`, then in a new R session load both and call
#' `fit(..., initial_epoch = k)`.
#'
#' @param callback A callback made by [new_callback_cyclical_learning_rate()]
#'   (or another kerasclr policy).
#' @param path Path of the JSON file.
#'
#' @return `save_clr_state()` returns `path` invisibly; `load_clr_state()`
#'   returns `callback` (restored in place) invisibly.
#' @export
#' @examples
#' if (kerasclr_available()) {
#'   callback <- new_callback_cyclical_learning_rate(step_size = 6, verbose = 0)
#'   replay_epochs(callback, steps_per_epoch = 13, epochs = 2)
#'   path <- tempfile(fileext = ".json")
#'   save_clr_state(callback, path)
#'
#'   resumed <- load_clr_state(
#'     new_callback_cyclical_learning_rate(step_size = 6, verbose = 0), path)
#'   nrow(resumed$history)
#' }
save_clr_state <- function(callback, path) {
  py_invoke(py_gateway()$check_callback, list("callback", callback))
  path <- check_path(path)
  py_invoke(callback$save, list(path))
  invisible(path)
}

#' @rdname save_clr_state
#' @export
load_clr_state <- function(callback, path) {
  py_invoke(py_gateway()$check_callback, list("callback", callback))
  path <- check_path(path)
  if (!file.exists(path)) {
    stop(simpleError(paste0("`path` does not exist: \"", path, "\"."), sys.call()))
  }
  py_invoke(callback$load, list(path))
  invisible(as_kerasclr_callback(callback))
}
