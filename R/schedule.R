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
  check_iterations(iterations)
  args <- clr_args(base_lr, max_lr, step_size, mode, gamma, scale_fn, scale_mode,
                   missing(mode), missing(scale_mode))
  dtype <- if (missing(dtype)) "float32" else check_choice(dtype, c("float32", "float64"),
                                                            "dtype")
  core <- py_core()
  values <- py_call(do.call(core$clr_schedule,
                            c(list(as_py_counters(iterations)), args, dtype = dtype)))
  as.double(values)
}

# Whole numbers >= 0, checked in one pass where R allows it: sorted integer
# vectors such as `0:999` cost O(1) (R knows they are sorted).
check_iterations <- function(iterations, call = sys.call(-1)) {
  ok <- is.numeric(iterations) && !anyNA(iterations)
  if (ok && length(iterations)) {
    low <- if (!is.unsorted(iterations)) iterations[[1]] else min(iterations)
    ok <- low >= 0 && (is.integer(iterations) ||
                         (all(is.finite(iterations)) && all(iterations == trunc(iterations))))
  }
  if (!ok) {
    bad <- if (is.numeric(iterations)) {
      iterations[is.na(iterations) | !is.finite(iterations) | iterations < 0 |
                   iterations != trunc(iterations)][1]
    } else {
      iterations
    }
    check_stop("`iterations` must hold whole numbers >= 0, not ", describe_value(bad), ".",
               call = call)
  }
  invisible(iterations)
}

# Iteration counters for Python: a run of consecutive integers (`0:999`)
# travels as a Python range, anything else as a 1-d float64 array.
as_py_counters <- function(iterations) {
  n <- length(iterations)
  if (is.integer(iterations) && n > 1L && iterations[[n]] - iterations[[1]] == n - 1L &&
      !is.unsorted(iterations, strictly = TRUE)) {
    builtins <- reticulate::import_builtins(convert = FALSE)
    return(builtins$range(iterations[[1]], iterations[[n]] + 1L))
  }
  np <- reticulate::import("numpy", convert = FALSE)
  np$asarray(array(as.double(iterations), dim = n), dtype = "float64")
}
