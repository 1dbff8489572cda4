#' Preview a cyclical learning rate schedule
#'
#' The learning rates of a cyclical schedule for the given cycle iterations,
#' without training (computed by the Python core, exactly as the callback
#' applies them).
#'
#' @param iterations Cycle iteration counters: whole numbers >= 0, e.g.
#'   `0:999`.
#' @inheritParams new_callback_cyclical_learning_rate
#' @param dtype `"float32"` (default): the values as the optimizer applies
#'   them; `"float64"`: the unrounded formula.
#' @return A numeric vector, one learning rate per element of `iterations`.
#' @seealso [new_callback_cyclical_learning_rate()] for the formula.
#' @export
#' @examplesIf kerasclr_available()
#' lr <- clr_schedule(0:999, base_lr = 0.001, max_lr = 0.006,
#'                    step_size = 100, mode = "triangular2")
#' plot(0:999, lr, type = "l", xlab = "iteration", ylab = "learning rate")
clr_schedule <- function(iterations, base_lr = 0.001, max_lr = 0.006, step_size = 2000,
                         mode = c("triangular", "triangular2", "exp_range"),
                         gamma = 1, scale_fn = NULL,
                         scale_mode = c("cycle", "iteration", "iterations"),
                         dtype = c("float32", "float64")) {
  args <- capture_args(list(iterations = as_py_counters, scale_fn = as_py_scale_fn))
  as.double(py_invoke(py_core()$clr_schedule, args))
}
