#' Save and restore the state of a kerasclr callback
#'
#' The state of a callback (its counters, current bounds, best validation
#' loss, cooldown, the learning rate of the next batch and both history
#' tables) is written to a JSON file by the Python core. Restored into a new
#' callback with the same arguments, training continues exactly as if it had
#' never stopped: save the model and the callback state after `k` completed
#' epochs, then in a new R session load both and train on from epoch `k + 1`.
#'
#' How to say "from epoch `k + 1`" depends on the `fit()`:
#' * keras3's `fit()` counts epochs from 1 (it passes `initial_epoch - 1` to
#'   Keras): `fit(model, x, y, epochs = total, initial_epoch = k + 1,
#'   callbacks = list(callback))`. With `initial_epoch = k` it would train
#'   epoch `k` a second time.
#' * `model$fit()` of a model made with `reticulate::import("keras")` counts
#'   from 0, as in Python: `model$fit(x, y, epochs = as.integer(total),
#'   initial_epoch = as.integer(k), callbacks = list(callback))`.
#'
#' In both, `epochs` is the number of the last epoch (`total`), not the
#' number of epochs still to train.
#'
#' @param callback A callback made by [new_callback_cyclical_learning_rate()]
#'   (or another kerasclr policy).
#' @param path Path of the JSON file.
#'
#' @return `save_clr_state()` returns `path` invisibly; `load_clr_state()`
#'   returns `callback` (restored in place) invisibly.
#' @export
#' @examplesIf kerasclr_available()
#' callback <- new_callback_cyclical_learning_rate(step_size = 6, verbose = 0)
#' replay_epochs(callback, steps_per_epoch = 13, epochs = 2)
#' path <- tempfile(fileext = ".json")
#' save_clr_state(callback, path)
#'
#' resumed <- load_clr_state(
#'   new_callback_cyclical_learning_rate(step_size = 6, verbose = 0), path)
#' nrow(resumed$history)
#' @examples
#' \dontrun{
#' # keras3: 4 of 10 epochs, then save the model and the callback's state
#' callback <- new_callback_cyclical_learning_rate(step_size = 100)
#' model |> fit(x, y, epochs = 4, callbacks = list(callback))
#' save_model(model, "model.keras")
#' save_clr_state(callback, "clr_state.json")
#'
#' # a new R session: epochs 5 to 10
#' model <- load_model("model.keras")
#' callback <- load_clr_state(new_callback_cyclical_learning_rate(step_size = 100),
#'                            "clr_state.json")
#' model |> fit(x, y, epochs = 10, initial_epoch = 5, callbacks = list(callback))
#' }
save_clr_state <- function(callback, path) {
  check_required()
  py_invoke(py_gateway()$check_callback, list("callback", callback))
  path <- check_path(path)
  py_invoke(callback$save, list(path))
  invisible(path)
}

#' @rdname save_clr_state
#' @export
load_clr_state <- function(callback, path) {
  check_required()
  py_invoke(py_gateway()$check_callback, list("callback", callback))
  path <- check_path(path)
  if (!file.exists(path)) {
    stop(simpleError(paste0("`path` does not exist: \"", path, "\"."), sys.call()))
  }
  py_invoke(callback$load, list(path))
  invisible(as_kerasclr_callback(callback))
}
