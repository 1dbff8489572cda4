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
#' @examples
#' if (kerasclr_available()) {
#'   lr <- clr_schedule(0:999, base_lr = 0.001, max_lr = 0.006,
#'                      step_size = 100, mode = "triangular2")
#'   plot(0:999, lr, type = "l", xlab = "iteration", ylab = "learning rate")
#' }
clr_schedule <- function(iterations, base_lr = 0.001, max_lr = 0.006, step_size = 2000,
                         mode = c("triangular", "triangular2", "exp_range"),
                         gamma = 1, scale_fn = NULL,
                         scale_mode = c("cycle", "iteration", "iterations"),
                         dtype = c("float32", "float64")) {
  if (!is.numeric(iterations) || anyNA(iterations) || any(!is.finite(iterations)) ||
      any(iterations < 0) || any(iterations != round(iterations))) {
    bad <- if (is.numeric(iterations)) {
      iterations[is.na(iterations) | !is.finite(iterations) | iterations < 0 |
                   iterations != round(iterations)][1]
    } else {
      iterations
    }
    stop(simpleError(paste0(
      "`iterations` must hold whole numbers >= 0, not ", describe_value(bad), "."
    ), sys.call()))
  }
  args <- clr_args(base_lr, max_lr, step_size, mode, gamma, scale_fn, scale_mode,
                   missing(mode), missing(scale_mode))
  dtype <- if (missing(dtype)) "float32" else check_choice(dtype, c("float32", "float64"),
                                                            "dtype")
  core <- py_core()
  np <- reticulate::import("numpy", convert = FALSE)
  counters <- np$asarray(array(as.double(iterations), dim = length(iterations)),
                         dtype = "float64")
  values <- py_call(do.call(core$clr_schedule, c(list(counters), args, dtype = dtype)))
  as.double(values)
}
