#' A learning rate made of phases
#'
#' Creates one Keras callback out of phases that run one after the other:
#' each phase is a kerasclr callback (made by [new_callback_linear()],
#' [new_callback_cyclical_learning_rate()], [new_callback_cosine_decay()],
#' [new_callback_wsd()], ...) or a number (a constant rate). Phase `k` runs
#' from boundary `k - 1` (0 for the first phase) to boundary `k` (the last
#' phase to the end of training), counted in training iterations
#' (`unit = "steps"`) or epochs (`unit = "epochs"`).
#'
#' Each phase counts its own steps (and epochs) from its start, so a phase
#' gives exactly the rates of the same callback trained alone from 0: the
#' numbers of optax's `join_schedules()` and PyTorch's `SequentialLR`. The
#' length of a phase that takes its length from `fit()` (a
#' [new_callback_wsd()] without `total_steps`) is its span in the sequence
#' (up to the end of `fit()` for the last phase).
#'
#' Plateau control inside a phase (a cyclical phase with a finite
#' `patience`, or a phase with `plateau = plateau_control(...)`) acts while
#' that phase runs; `plateau` of the sequence itself scales every phase. The
#' histories, plots and saved state ([save_clr_state()]) cover the whole
#' run, and a restored sequence resumes exactly at any step, also across a
#' boundary.
#'
#' The phases belong to the sequence: pass only the sequence to `fit()`.
#'
#' @param phases A list of kerasclr callbacks and/or numbers (constant
#'   rates), e.g. `list(new_callback_linear(0, 0.01, 500), 0.01)`.
#' @param boundaries Where each phase after the first starts: whole numbers,
#'   strictly increasing, one fewer than the phases.
#' @param unit `"steps"` (training iterations) or `"epochs"` (boundaries in
#'   epochs need the number of batches per epoch from `fit()`).
#' @param verbose 0 (silent) or 1.
#' @param plateau `NULL`, or [plateau_control()]: scale the rate of every
#'   phase by `factor` when the monitored value stops improving.
#' @return The Python `Sequence` callback with the R class
#'   `kerasclr_callback`; `$history` shows the whole run, with the
#'   `base_lr` and `max_lr` of the phase each step belongs to.
#' @seealso [sequence_schedule()] (preview), [plot_lr_history()]
#' @export
#' @examplesIf kerasclr_available()
#' # a linear warm-up of 50 steps, cyclical rates, then a cosine decay to 0
#' schedule <- new_callback_sequence(
#'   phases = list(
#'     new_callback_linear(initial_lr = 0, final_lr = 0.006, steps = 50),
#'     new_callback_cyclical_learning_rate(base_lr = 0.001, max_lr = 0.006,
#'                                         step_size = 25, verbose = 0),
#'     new_callback_cosine_decay(0.006, decay_steps = 100)
#'   ),
#'   boundaries = c(50, 250)
#' )
#' replay_epochs(schedule, steps_per_epoch = 10, epochs = 35)
#' plot_lr_history(schedule, granularity = "iteration", backend = "base")
#'
#' # boundaries in epochs, plateau control of the whole sequence
#' epochs <- new_callback_sequence(
#'   list(0.01, new_callback_step_decay(0.01, decay_factor = 0.5, step_size = 2)),
#'   boundaries = 3, unit = "epochs",
#'   plateau = plateau_control(patience = 1, factor = 0.5)
#' )
#' replay_epochs(epochs, steps_per_epoch = 10, val_loss = c(3, 2, 2.1, 2.2, 2.3, 2.4))
#' epochs$history_epoch
#' @examples
#' \dontrun{
#' model |> fit(x, y, batch_size = 32, epochs = 30, callbacks = list(schedule))
#' }
new_callback_sequence <- function(phases, boundaries, unit = c("steps", "epochs"),
                                  verbose = 0, plateau = NULL) {
  args <- capture_args(list(phases = as_py_phases, boundaries = as_py_boundaries))
  as_kerasclr_callback(py_invoke(py_core()$Sequence, args))
}

#' Preview a sequence of phases without training
#'
#' The learning rates (or momenta) of [new_callback_sequence()] with the
#' same `phases`, `boundaries` and `unit`, at the given training
#' iterations, computed by the Python core exactly as the callback applies
#' them. A phase that takes its length from `fit()` (a [new_callback_wsd()]
#' without `total_steps`) is previewed as if training ended after the last
#' of `iterations`.
#'
#' @param iterations Training iterations: whole numbers >= 0, e.g. `0:999`.
#' @inheritParams new_callback_sequence
#' @param steps_per_epoch Batches per epoch: needed when the boundaries are
#'   in epochs or a phase counts epochs (e.g. [new_callback_step_decay()]);
#'   `NULL` otherwise.
#' @param what `"lr"` or `"momentum"` (when every phase cycles momentum).
#' @param dtype `"float32"` (as applied) or `"float64"` (unrounded).
#' @return A numeric vector, one value per element of `iterations`.
#' @seealso [policy_schedules] for the previews of single policies.
#' @export
#' @examplesIf kerasclr_available()
#' lr <- sequence_schedule(
#'   0:299,
#'   phases = list(new_callback_linear(0, 0.006, steps = 50),
#'                 new_callback_cyclical_learning_rate(0.001, 0.006, step_size = 25,
#'                                                     verbose = 0),
#'                 new_callback_cosine_decay(0.006, decay_steps = 50)),
#'   boundaries = c(50, 250)
#' )
#' plot(0:299, lr, type = "l", xlab = "iteration", ylab = "learning rate")
sequence_schedule <- function(iterations, phases, boundaries, unit = c("steps", "epochs"),
                              steps_per_epoch = NULL, what = c("lr", "momentum"),
                              dtype = c("float32", "float64")) {
  args <- capture_args(list(iterations = as_py_counters, phases = as_py_phases,
                            boundaries = as_py_boundaries))
  policy <- py_invoke(py_core()$Sequence, args[c("phases", "boundaries", "unit")])
  preview <- args[c("iterations", "steps_per_epoch", "what", "dtype")]
  as.double(py_invoke(policy$preview, preview))
}

# The phases of a sequence for Python: a list (a numeric vector becomes a
# list of numbers), with NA elements as NaN (which Python refuses, naming the
# phase); anything else as it is (Python refuses it).
as_py_phases <- function(phases) {
  if (is.numeric(phases) && is.null(dim(phases))) {
    phases <- as.list(phases)
  }
  if (is.list(phases) && !inherits(phases, "python.builtin.object")) {
    phases <- lapply(unname(phases), as_py_value)
  }
  phases
}

# Boundaries for Python: numbers as a list (also one number), anything else
# as it is.
as_py_boundaries <- function(boundaries) {
  if (is.numeric(boundaries) && is.null(dim(boundaries))) {
    return(lapply(as.double(boundaries), as_py_value))
  }
  as_py_value(boundaries)
}
