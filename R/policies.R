#' One-cycle learning rate callback
#'
#' Creates a Keras callback with the one-cycle policy (Smith & Topin,
#' arXiv:1708.07120), with the numbers of PyTorch's `OneCycleLR`: the
#' learning rate rises from `max_lr / div_factor` to `max_lr` over the first
#' `pct_start` of the `total_steps` training iterations, then anneals
#' (cosine or linear) to `max_lr / (div_factor * final_div_factor)`. With
#' `three_phase = TRUE` it first returns to the initial rate and only then
#' anneals to the minimum. The momentum moves the other way, between
#' `max_momentum` and `base_momentum`.
#'
#' Learning rate and momentum are exact at every optimizer step: both are
#' looked up inside the compiled train step from tables that the callback
#' fills once per epoch. Momentum cycling needs `SGD` or `RMSprop` created
#' with a momentum > 0, `Adam` or `AdamW` (`beta_1`); other optimizers give
#' an error (use `cycle_momentum = FALSE`).
#'
#' @param max_lr Peak learning rate (> 0).
#' @param total_steps Training iterations of the whole cycle, or `NULL` to
#'   use `epochs * steps_per_epoch`.
#' @param epochs,steps_per_epoch Length of the cycle in epochs and batches
#'   per epoch (`steps_per_epoch = NULL`: taken from `fit()`).
#' @param pct_start Fraction of the cycle spent increasing the rate, in
#'   (0, 1).
#' @param anneal_strategy `"cos"` or `"linear"`.
#' @param div_factor Initial rate = `max_lr / div_factor`.
#' @param final_div_factor Final rate = initial rate / `final_div_factor`.
#' @param three_phase Use the three-phase variant.
#' @param cycle_momentum Cycle the optimizer's momentum (default `TRUE`).
#' @param base_momentum,max_momentum Momentum bounds, in (0, 1).
#' @param verbose 0 (silent) or 1.
#' @param plateau `NULL`, or [plateau_control()]: scale the rate by `factor`
#'   when the monitored value stops improving.
#' @return The Python `OneCycle` callback with the R class
#'   `kerasclr_callback` (pass it to `fit()`). After training, `$history`
#'   has one row per batch (`iteration`, `epoch`, `lr`, `base_lr` = the final
#'   rate, `max_lr`, and `momentum` when cycled) and `$history_epoch` one
#'   row per epoch (the logs, `epoch`, `base_lr`, `max_lr`, `lr` and
#'   `momentum` of the next batch).
#' @seealso [one_cycle_schedule()], [plot_lr_history()]
#' @export
#' @examplesIf kerasclr_available()
#' one_cycle <- new_callback_one_cycle(max_lr = 0.1, epochs = 10,
#'                                     steps_per_epoch = 20)
#' replay_epochs(one_cycle, steps_per_epoch = 20, epochs = 10)
#' head(one_cycle$history)
#' plot_lr_history(one_cycle, granularity = "iteration", backend = "base")
#' @examples
#' \dontrun{
#' model |> compile(optimizer = optimizer_sgd(0.01, momentum = 0.9), loss = "mse")
#' model |> fit(x, y, batch_size = 32, epochs = 10, callbacks = list(one_cycle))
#' }
new_callback_one_cycle <- function(max_lr, total_steps = NULL, epochs = NULL,
                                   steps_per_epoch = NULL, pct_start = 0.3,
                                   anneal_strategy = c("cos", "linear"),
                                   div_factor = 25, final_div_factor = 1e4,
                                   three_phase = FALSE, cycle_momentum = TRUE,
                                   base_momentum = 0.85, max_momentum = 0.95,
                                   verbose = 0, plateau = NULL) {
  as_kerasclr_callback(py_invoke(py_core()$OneCycle, capture_args()))
}

#' SGDR (cosine annealing with warm restarts) callback
#'
#' Creates a Keras callback for stochastic gradient descent with warm
#' restarts (Loshchilov & Hutter, arXiv:1608.03983). Within a period of
#' `epochs_to_restart` epochs the learning rate falls batch by batch on a
#' cosine from the restart rate towards `min_lr`:
#' `lr = min_lr + (restart_lr - min_lr) * (1 + cos(pi * b / (S * E))) / 2`,
#' with `b` the batches since the restart, `S` the batches per epoch and `E`
#' the period in epochs. After each period the rate restarts and the next
#' period lasts `ceiling(E * mult_factor)` epochs. `lr_decay` multiplies the
#' restart rate at every restart; `lr_fac` multiplies it at the end of each
#' epoch in `lr_reduction_epochs`.
#'
#' @param max_lr Rate at the start of the first period (> 0).
#' @param min_lr Floor of the cosine (>= 0, <= `max_lr`).
#' @param steps_per_epoch Batches per epoch, or `NULL` to take it from
#'   `fit()`.
#' @param epochs_to_restart Length of the first period in epochs (>= 1).
#' @param mult_factor Growth of the period at each restart (>= 1).
#' @param lr_decay Multiplier of the restart rate at each restart, in
#'   (0, 1].
#' @param lr_fac Multiplier of the restart rate after each epoch of
#'   `lr_reduction_epochs`, in (0, 1].
#' @param lr_reduction_epochs `NULL` or 1-based epochs after which `lr_fac`
#'   applies.
#' @param verbose 0 (silent) or 1 (a message at each restart).
#' @inheritParams new_callback_one_cycle
#' @return The Python `SGDR` callback with the R class `kerasclr_callback`;
#'   `$history` has `base_lr` = `min_lr` and `max_lr` = the current restart
#'   rate.
#' @seealso [sgdr_schedule()], [plot_lr_history()]
#' @export
#' @examplesIf kerasclr_available()
#' sgdr <- new_callback_sgdr(max_lr = 0.05, min_lr = 0.001,
#'                           epochs_to_restart = 2, mult_factor = 2)
#' replay_epochs(sgdr, steps_per_epoch = 10, epochs = 14)
#' plot_lr_history(sgdr, granularity = "iteration", backend = "base")
new_callback_sgdr <- function(max_lr = 0.01, min_lr = 0, steps_per_epoch = NULL,
                              epochs_to_restart = 10, mult_factor = 2, lr_decay = 1,
                              lr_fac = 0.1, lr_reduction_epochs = NULL, verbose = 0,
                              plateau = NULL) {
  as_kerasclr_callback(py_invoke(py_core()$SGDR, capture_args()))
}

#' Step decay learning rate callback
#'
#' Creates a Keras callback with
#' `lr = initial_lr * decay_factor^floor(epoch / step_size)` (`epoch`
#' 0-based: the first `step_size` epochs use `initial_lr`).
#'
#' @param initial_lr Rate of the first `step_size` epochs (> 0).
#' @param decay_factor Multiplier every `step_size` epochs, in (0, 1].
#' @param step_size Epochs between two decays (>= 1).
#' @param verbose 0 (silent) or 1 (a message at each decay).
#' @inheritParams new_callback_one_cycle
#' @return The Python `StepDecay` callback with the R class
#'   `kerasclr_callback`.
#' @seealso [step_decay_schedule()], [plot_lr_history()]
#' @export
#' @examplesIf kerasclr_available()
#' decay <- new_callback_step_decay(initial_lr = 0.1, decay_factor = 0.5,
#'                                  step_size = 3)
#' replay_epochs(decay, steps_per_epoch = 5, epochs = 10)
#' decay$history_epoch
new_callback_step_decay <- function(initial_lr = 0.01, decay_factor = 0.5,
                                    step_size = 10, verbose = 0, plateau = NULL) {
  as_kerasclr_callback(py_invoke(py_core()$StepDecay, capture_args()))
}

#' Cosine decay (with linear warm-up) callback
#'
#' Creates a Keras callback with exactly the learning rates of Keras's
#' `CosineDecay` schedule (keras3: `learning_rate_schedule_cosine_decay()`,
#' same arguments): an optional linear warm-up from `initial_learning_rate`
#' to `warmup_target` over `warmup_steps` steps, then
#' `peak * ((1 - alpha) * (1 + cos(pi * s / decay_steps)) / 2 + alpha)` for
#' `s = min(step - warmup_steps, decay_steps)`. Unlike the schedule, the
#' callback records a history and can be plotted with [plot_lr_history()].
#'
#' @param initial_learning_rate Rate at step 0 (>= 0).
#' @param decay_steps Steps to decay over (> 0).
#' @param alpha Floor of the decay as a fraction of the peak, in \[0, 1\].
#' @param name Kept for compatibility with keras3 (unused).
#' @param warmup_target Rate at the end of the warm-up, or `NULL` for no
#'   warm-up.
#' @param warmup_steps Steps of the warm-up (>= 0).
#' @param verbose 0 (silent) or 1.
#' @inheritParams new_callback_one_cycle
#' @return The Python `CosineDecay` callback with the R class
#'   `kerasclr_callback`.
#' @seealso [cosine_decay_schedule()], [plot_lr_history()]
#' @export
#' @examplesIf kerasclr_available()
#' cosine <- new_callback_cosine_decay(0, decay_steps = 80, alpha = 0.1,
#'                                     warmup_target = 0.1, warmup_steps = 20)
#' replay_epochs(cosine, steps_per_epoch = 10, epochs = 10)
#' plot_lr_history(cosine, granularity = "iteration", backend = "base")
new_callback_cosine_decay <- function(initial_learning_rate, decay_steps, alpha = 0,
                                      name = "CosineDecay", warmup_target = NULL,
                                      warmup_steps = 0, verbose = 0, plateau = NULL) {
  as_kerasclr_callback(py_invoke(py_core()$CosineDecay, capture_args()))
}

#' Warm-up, stable, decay (WSD) learning rate callback
#'
#' @description
#' Creates a Keras callback with the warm-up–stable–decay schedule of long
#' training runs: a linear warm-up from `initial_lr` to `max_lr`, `max_lr`
#' until the decay starts, and a decay to `final_lr` at the end.
#'
#' @details
#' Over `T` training iterations, with a warm-up of `W` steps and a decay over
#' the last `D` steps, the learning rate of step `s` (0-based) is:
#' * `s < W`: `lr = initial_lr + (max_lr - initial_lr) * s / W`;
#' * `W <= s < T - D`: `lr = max_lr`;
#' * `s >= T - D`: `lr = final_lr + (max_lr - final_lr) * shape(t)` with
#'   `t = min((s - (T - D)) / D, 1)` and `shape(t)` = `1 - t` (`"linear"`),
#'   `(1 + cos(pi * t)) / 2` (`"cosine"`) or `1 - sqrt(t)` (`"1-sqrt"`,
#'   Hägele et al., arXiv:2405.18392).
#'
#' `W` and `D` are given in steps or as fractions of `T`
#' (rounded to whole steps). Without `total_steps`, `T` is
#' `epochs * steps_per_epoch` of the first `fit()`; a `fit()` that does not
#' know its batches per epoch (a generator without a length) is an error:
#' give `total_steps`, or `steps_per_epoch` to `fit()`.
#'
#' @param max_lr The stable rate (> 0).
#' @param total_steps Training iterations of the whole schedule, or `NULL`
#'   to take `epochs * steps_per_epoch` from `fit()`.
#' @param warmup_steps Steps of the warm-up, or `NULL` to use
#'   `warmup_fraction`.
#' @param warmup_fraction The warm-up as a fraction of `total_steps`, in
#'   \[0, 1).
#' @param decay_steps Steps of the decay, or `NULL` to use `decay_fraction`.
#' @param decay_fraction The decay as a fraction of `total_steps`, in
#'   \[0, 1\].
#' @param decay_shape `"linear"`, `"cosine"` or `"1-sqrt"`.
#' @param initial_lr Rate of the first warm-up step (>= 0).
#' @param final_lr Rate at the end of the decay (>= 0).
#' @param verbose 0 (silent) or 1.
#' @inheritParams new_callback_one_cycle
#' @return The Python `WSD` callback with the R class `kerasclr_callback`;
#'   `$history` has `base_lr` = the smaller of `initial_lr` and `final_lr`
#'   and `max_lr` = `max_lr` (both scaled by the plateau control, if any).
#' @seealso [wsd_schedule()], [new_callback_sequence()], [plot_lr_history()]
#' @export
#' @examplesIf kerasclr_available()
#' wsd <- new_callback_wsd(max_lr = 0.01, warmup_fraction = 0.1,
#'                         decay_fraction = 0.3, decay_shape = "1-sqrt")
#' # the length comes from the (replayed) fit: 10 epochs of 20 batches
#' replay_epochs(wsd, steps_per_epoch = 20, epochs = 10)
#' plot_lr_history(wsd, granularity = "iteration", backend = "base")
#' @examples
#' \dontrun{
#' model |> fit(x, y, batch_size = 32, epochs = 20, callbacks = list(wsd))
#' }
new_callback_wsd <- function(max_lr, total_steps = NULL, warmup_steps = NULL,
                             warmup_fraction = 0, decay_steps = NULL,
                             decay_fraction = 0.2,
                             decay_shape = c("linear", "cosine", "1-sqrt"),
                             initial_lr = 0, final_lr = 0, verbose = 0,
                             plateau = NULL) {
  as_kerasclr_callback(py_invoke(py_core()$WSD, capture_args()))
}

#' Linear and constant learning rate callbacks
#'
#' `new_callback_linear()` ramps the learning rate linearly from
#' `initial_lr` to `final_lr` over `steps` training iterations and keeps
#' `final_lr` afterwards:
#' `lr = initial_lr + (final_lr - initial_lr) * min(iteration / steps, 1)`
#' (a warm-up phase of [new_callback_sequence()], or a linear decay).
#' `new_callback_constant()` trains with the same rate at every step: a
#' constant phase of a sequence, or, with [plateau_control()], a
#' reduce-on-plateau rate with a history.
#'
#' @param initial_lr Rate of the first batch (>= 0).
#' @param final_lr Rate reached after `steps` batches and kept (>= 0).
#' @param steps Length of the ramp in training iterations (>= 1).
#' @param lr The rate (>= 0).
#' @param verbose 0 (silent) or 1.
#' @inheritParams new_callback_one_cycle
#' @return The Python `Linear` or `Constant` callback with the R class
#'   `kerasclr_callback`.
#' @seealso [linear_schedule()], [new_callback_sequence()]
#' @export
#' @examplesIf kerasclr_available()
#' warmup <- new_callback_linear(initial_lr = 0, final_lr = 0.01, steps = 50)
#' replay_epochs(warmup, steps_per_epoch = 10, epochs = 8)
#' tail(warmup$history_epoch)
#'
#' constant <- new_callback_constant(
#'   0.01, plateau = plateau_control(patience = 1, factor = 0.5, cooldown = 0))
#' replay_epochs(constant, steps_per_epoch = 10, val_loss = c(3, 2, 2.5, 2.6, 2.7))
#' constant$history_epoch
new_callback_linear <- function(initial_lr, final_lr, steps, verbose = 0, plateau = NULL) {
  as_kerasclr_callback(py_invoke(py_core()$Linear, capture_args()))
}

#' @rdname new_callback_linear
#' @export
new_callback_constant <- function(lr, verbose = 0, plateau = NULL) {
  as_kerasclr_callback(py_invoke(py_core()$Constant, capture_args()))
}

#' Preview the learning-rate policies without training
#'
#' The learning rates (or, for one-cycle, the momenta) of a policy for the
#' given training iterations (epochs for step decay), computed by the Python
#' core exactly as the callbacks apply them (float32 values by default).
#'
#' @param iterations Training iterations: whole numbers >= 0, e.g. `0:999`.
#'   For `one_cycle_schedule()` they must be < `total_steps`.
#' @param epochs For `step_decay_schedule()`: 0-based epochs.
#' @param what `"lr"` or `"momentum"`.
#' @param dtype `"float32"` (as applied) or `"float64"` (unrounded).
#' @inheritParams new_callback_one_cycle
#' @inheritParams new_callback_sgdr
#' @inheritParams new_callback_step_decay
#' @inheritParams new_callback_cosine_decay
#' @inheritParams new_callback_wsd
#' @inheritParams new_callback_linear
#' @param total_steps For `one_cycle_schedule()`: training iterations of the
#'   cycle. For `wsd_schedule()`: training iterations of the whole schedule
#'   (a preview needs it; the callback can take it from `fit()`).
#' @param max_lr The peak rate (> 0): of the one-cycle, of SGDR's first
#'   period, WSD's stable rate.
#' @param initial_lr The first rate: of the first `step_size` epochs (step
#'   decay, > 0), of the warm-up (WSD, >= 0), of the ramp (linear, >= 0).
#' @param final_lr The rate at the end of WSD's decay or of the linear ramp
#'   (>= 0).
#' @param warmup_steps Steps of the warm-up (>= 0); for `wsd_schedule()`,
#'   `NULL` uses `warmup_fraction`.
#' @param decay_steps Steps of the decay: > 0 for `cosine_decay_schedule()`;
#'   for `wsd_schedule()` >= 0, or `NULL` to use `decay_fraction`.
#' @return A numeric vector, one value per element of `iterations` / `epochs`.
#' @seealso [sequence_schedule()] for a sequence of phases.
#' @name policy_schedules
#' @examplesIf kerasclr_available()
#' plot(one_cycle_schedule(0:99, max_lr = 0.1, total_steps = 100), type = "l")
#' sgdr_schedule(0:9, steps_per_epoch = 5, max_lr = 0.1, epochs_to_restart = 1)
#' step_decay_schedule(0:9, initial_lr = 0.1, decay_factor = 0.5, step_size = 3)
#' cosine_decay_schedule(0:10, 0.1, decay_steps = 10)
#' linear_schedule(0:5, initial_lr = 0, final_lr = 0.01, steps = 4)
#' plot(wsd_schedule(0:999, max_lr = 0.01, total_steps = 1000, warmup_steps = 100,
#'                   decay_fraction = 0.3, decay_shape = "cosine"), type = "l")
NULL

#' @rdname policy_schedules
#' @export
one_cycle_schedule <- function(iterations, max_lr, total_steps, pct_start = 0.3,
                               anneal_strategy = c("cos", "linear"), div_factor = 25,
                               final_div_factor = 1e4, three_phase = FALSE,
                               base_momentum = 0.85, max_momentum = 0.95,
                               what = c("lr", "momentum"),
                               dtype = c("float32", "float64")) {
  args <- capture_args(list(iterations = as_py_counters))
  as.double(py_invoke(py_core()$one_cycle_schedule, args))
}

#' @rdname policy_schedules
#' @export
sgdr_schedule <- function(iterations, steps_per_epoch, max_lr = 0.01, min_lr = 0,
                          epochs_to_restart = 10, mult_factor = 2, lr_decay = 1,
                          lr_fac = 0.1, lr_reduction_epochs = NULL,
                          dtype = c("float32", "float64")) {
  args <- capture_args(list(iterations = as_py_counters))
  as.double(py_invoke(py_core()$sgdr_schedule, args))
}

#' @rdname policy_schedules
#' @export
step_decay_schedule <- function(epochs, initial_lr = 0.01, decay_factor = 0.5,
                                step_size = 10, dtype = c("float32", "float64")) {
  args <- capture_args(list(epochs = as_py_counters))
  as.double(py_invoke(py_core()$step_decay_schedule, args))
}

#' @rdname policy_schedules
#' @export
cosine_decay_schedule <- function(iterations, initial_learning_rate, decay_steps,
                                  alpha = 0, warmup_target = NULL, warmup_steps = 0) {
  args <- capture_args(list(iterations = as_py_counters))
  as.double(py_invoke(py_core()$cosine_decay_schedule, args))
}

#' @rdname policy_schedules
#' @export
wsd_schedule <- function(iterations, max_lr, total_steps, warmup_steps = NULL,
                         warmup_fraction = 0, decay_steps = NULL, decay_fraction = 0.2,
                         decay_shape = c("linear", "cosine", "1-sqrt"), initial_lr = 0,
                         final_lr = 0, dtype = c("float32", "float64")) {
  args <- capture_args(list(iterations = as_py_counters))
  as.double(py_invoke(py_core()$wsd_schedule, args))
}

#' @rdname policy_schedules
#' @export
linear_schedule <- function(iterations, initial_lr, final_lr, steps,
                            dtype = c("float32", "float64")) {
  args <- capture_args(list(iterations = as_py_counters))
  as.double(py_invoke(py_core()$linear_schedule, args))
}

#' Plateau control for any kerasclr policy
#'
#' Scales a policy's learning rate by `factor` when the monitored value has
#' not improved for more than `patience` epochs (the rule of 'KerasMisc', as
#' in [new_callback_cyclical_learning_rate()], which has these arguments
#' itself), then waits `cooldown` epochs. Pass it as `plateau` to
#' [new_callback_one_cycle()], [new_callback_sgdr()],
#' [new_callback_step_decay()], [new_callback_cosine_decay()],
#' [new_callback_wsd()], [new_callback_linear()], [new_callback_constant()]
#' or [new_callback_sequence()] (inside a sequence: to one phase, acting
#' while that phase runs, or to the sequence, scaling every phase). The
#' reduced rate is `max(factor^n * lr, min(lr, min_lr))` after `n`
#' reductions: never below `min_lr`, and never above the schedule itself.
#'
#' @param monitor The logged value to watch, e.g. `"val_loss"`.
#' @param mode `"min"` (lower is better) or `"max"`.
#' @param patience Epochs without improvement before a reduction; `Inf`
#'   never reduces.
#' @param factor Multiplier of a reduction, in (0, 1].
#' @param cooldown Epochs after a reduction without another one.
#' @param min_lr The rate is never reduced below this (>= 0).
#' @return The plateau control (a Python `kerasclr.Plateau`), for one policy.
#' @export
#' @examplesIf kerasclr_available()
#' decay <- new_callback_step_decay(initial_lr = 0.1, step_size = 5,
#'                                  plateau = plateau_control(patience = 1,
#'                                                            factor = 0.5))
#' replay_epochs(decay, steps_per_epoch = 4, val_loss = c(3, 2, 2.5, 2.6, 2.7))
#' decay$history_epoch
plateau_control <- function(monitor = "val_loss", mode = c("min", "max"), patience = Inf,
                            factor = 0.9, cooldown = 2, min_lr = 0) {
  py_invoke(py_core()$Plateau, capture_args())
}
