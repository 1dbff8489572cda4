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
#' @return The Python `OneCycle` callback with the R class
#'   `kerasclr_callback` (pass it to `fit()`). After training, `$history`
#'   has one row per batch (`iteration`, `epoch`, `lr`, `base_lr` = the final
#'   rate, `max_lr`, and `momentum` when cycled) and `$history_epoch` one
#'   row per epoch (the logs, `epoch`, `base_lr`, `max_lr`, `lr` and
#'   `momentum` of the next batch).
#' @seealso [one_cycle_schedule()], [plot_lr_history()]
#' @export
#' @examples
#' if (kerasclr_available()) {
#'   one_cycle <- new_callback_one_cycle(max_lr = 0.1, epochs = 10,
#'                                       steps_per_epoch = 20)
#'   replay_epochs(one_cycle, steps_per_epoch = 20, epochs = 10)
#'   head(one_cycle$history)
#'   plot_lr_history(one_cycle, granularity = "iteration", backend = "base")
#' }
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
                                   verbose = 0) {
  args <- one_cycle_args(max_lr, total_steps, pct_start,
                         if (missing(anneal_strategy)) "cos" else anneal_strategy,
                         div_factor, final_div_factor, three_phase, base_momentum,
                         max_momentum)
  if (is.null(total_steps) && is.null(epochs)) {
    stop("Give `total_steps`, or `epochs` (and optionally `steps_per_epoch`), ",
         "to define the length of the cycle.", call. = FALSE)
  }
  args$epochs <- null_or(epochs, function(x) check_count(x, "epochs", min = 1))
  args$steps_per_epoch <- null_or(steps_per_epoch, function(x)
    check_count(x, "steps_per_epoch", min = 1))
  args$cycle_momentum <- check_flag(cycle_momentum, "cycle_momentum")
  args$verbose <- as.integer(check_count(verbose, "verbose"))
  new_policy("OneCycle", args)
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
#' @return The Python `SGDR` callback with the R class `kerasclr_callback`;
#'   `$history` has `base_lr` = `min_lr` and `max_lr` = the current restart
#'   rate.
#' @seealso [sgdr_schedule()], [plot_lr_history()]
#' @export
#' @examples
#' if (kerasclr_available()) {
#'   sgdr <- new_callback_sgdr(max_lr = 0.05, min_lr = 0.001,
#'                             epochs_to_restart = 2, mult_factor = 2)
#'   replay_epochs(sgdr, steps_per_epoch = 10, epochs = 14)
#'   plot_lr_history(sgdr, granularity = "iteration", backend = "base")
#' }
new_callback_sgdr <- function(max_lr = 0.01, min_lr = 0, steps_per_epoch = NULL,
                              epochs_to_restart = 10, mult_factor = 2, lr_decay = 1,
                              lr_fac = 0.1, lr_reduction_epochs = NULL, verbose = 0) {
  args <- sgdr_args(max_lr, min_lr, epochs_to_restart, mult_factor, lr_decay, lr_fac,
                    lr_reduction_epochs)
  args$steps_per_epoch <- null_or(steps_per_epoch, function(x)
    check_count(x, "steps_per_epoch", min = 1))
  args$verbose <- as.integer(check_count(verbose, "verbose"))
  new_policy("SGDR", args)
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
#' @return The Python `StepDecay` callback with the R class
#'   `kerasclr_callback`.
#' @seealso [step_decay_schedule()], [plot_lr_history()]
#' @export
#' @examples
#' if (kerasclr_available()) {
#'   decay <- new_callback_step_decay(initial_lr = 0.1, decay_factor = 0.5,
#'                                    step_size = 3)
#'   replay_epochs(decay, steps_per_epoch = 5, epochs = 10)
#'   decay$history_epoch
#' }
new_callback_step_decay <- function(initial_lr = 0.01, decay_factor = 0.5,
                                    step_size = 10, verbose = 0) {
  args <- step_decay_args(initial_lr, decay_factor, step_size)
  args$verbose <- as.integer(check_count(verbose, "verbose"))
  new_policy("StepDecay", args)
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
#' @return The Python `CosineDecay` callback with the R class
#'   `kerasclr_callback`.
#' @seealso [cosine_decay_schedule()], [plot_lr_history()]
#' @export
#' @examples
#' if (kerasclr_available()) {
#'   cosine <- new_callback_cosine_decay(0, decay_steps = 80, alpha = 0.1,
#'                                       warmup_target = 0.1, warmup_steps = 20)
#'   replay_epochs(cosine, steps_per_epoch = 10, epochs = 10)
#'   plot_lr_history(cosine, granularity = "iteration", backend = "base")
#' }
new_callback_cosine_decay <- function(initial_learning_rate, decay_steps, alpha = 0,
                                      name = "CosineDecay", warmup_target = NULL,
                                      warmup_steps = 0) {
  args <- cosine_decay_args(initial_learning_rate, decay_steps, alpha, warmup_target,
                            warmup_steps)
  if (!is.character(name) || length(name) != 1L || is.na(name)) {
    stop("`name` must be a single string, not ", describe_value(name), ".",
         call. = FALSE)
  }
  args$name <- name
  new_policy("CosineDecay", args)
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
#' @return A numeric vector, one value per element of `iterations` / `epochs`.
#' @name policy_schedules
#' @examples
#' if (kerasclr_available()) {
#'   plot(one_cycle_schedule(0:99, max_lr = 0.1, total_steps = 100), type = "l")
#'   sgdr_schedule(0:9, steps_per_epoch = 5, max_lr = 0.1, epochs_to_restart = 1)
#'   step_decay_schedule(0:9, initial_lr = 0.1, decay_factor = 0.5, step_size = 3)
#'   cosine_decay_schedule(0:10, 0.1, decay_steps = 10)
#' }
NULL

#' @rdname policy_schedules
#' @export
one_cycle_schedule <- function(iterations, max_lr, total_steps, pct_start = 0.3,
                               anneal_strategy = c("cos", "linear"), div_factor = 25,
                               final_div_factor = 1e4, three_phase = FALSE,
                               base_momentum = 0.85, max_momentum = 0.95,
                               what = c("lr", "momentum"),
                               dtype = c("float32", "float64")) {
  steps <- as_py_steps(iterations, "iterations")
  args <- one_cycle_args(max_lr, total_steps, pct_start,
                         if (missing(anneal_strategy)) "cos" else anneal_strategy,
                         div_factor, final_div_factor, three_phase, base_momentum,
                         max_momentum)
  if (is.null(total_steps)) {
    stop("`total_steps` must be a single number, not NULL.", call. = FALSE)
  }
  args$what <- if (missing(what)) "lr" else check_choice(what, c("lr", "momentum"), "what")
  args$dtype <- schedule_dtype(dtype, missing(dtype))
  preview("one_cycle_schedule", steps, args)
}

#' @rdname policy_schedules
#' @export
sgdr_schedule <- function(iterations, steps_per_epoch, max_lr = 0.01, min_lr = 0,
                          epochs_to_restart = 10, mult_factor = 2, lr_decay = 1,
                          lr_fac = 0.1, lr_reduction_epochs = NULL,
                          dtype = c("float32", "float64")) {
  steps <- as_py_steps(iterations, "iterations")
  args <- sgdr_args(max_lr, min_lr, epochs_to_restart, mult_factor, lr_decay, lr_fac,
                    lr_reduction_epochs)
  args$steps_per_epoch <- check_count(steps_per_epoch, "steps_per_epoch", min = 1)
  args$dtype <- schedule_dtype(dtype, missing(dtype))
  preview("sgdr_schedule", steps, args)
}

#' @rdname policy_schedules
#' @export
step_decay_schedule <- function(epochs, initial_lr = 0.01, decay_factor = 0.5,
                                step_size = 10, dtype = c("float32", "float64")) {
  steps <- as_py_steps(epochs, "epochs")
  args <- step_decay_args(initial_lr, decay_factor, step_size)
  args$dtype <- schedule_dtype(dtype, missing(dtype))
  preview("step_decay_schedule", steps, args)
}

#' @rdname policy_schedules
#' @export
cosine_decay_schedule <- function(iterations, initial_learning_rate, decay_steps,
                                  alpha = 0, warmup_target = NULL, warmup_steps = 0) {
  steps <- as_py_steps(iterations, "iterations")
  args <- cosine_decay_args(initial_learning_rate, decay_steps, alpha, warmup_target,
                            warmup_steps)
  preview("cosine_decay_schedule", steps, args)
}

#' Plot the learning rate history of any kerasclr policy
#'
#' Draws the learning rate of a trained callback (cyclical, one-cycle, SGDR,
#' step decay or cosine decay) per epoch or per training iteration, with
#' the bounds `base_lr`/`max_lr` (by default for the cyclical policy only)
#' and, when the policy cycles it, the momentum in a second panel. The
#' numbers come from the Python core (`kerasclr.lr_plot_data()`), so the R
#' and Python plots show the same values. [plot_clr_history()] keeps working
#' for cyclical callbacks.
#'
#' @param callback A trained kerasclr callback.
#' @param granularity `"epoch"` (one point per epoch: the rate of the next
#'   batch) or `"iteration"` (one point per batch).
#' @param backend `"ggplot2"` or `"base"`.
#' @param trans_y_axis `"identity"` or `"log10"` (learning-rate axis).
#' @param show_bounds Draw `base_lr` and `max_lr`; `NULL` (default) draws
#'   them for the cyclical policy only.
#' @return For `"ggplot2"` a ggplot object; for `"base"` the plotted data
#'   frame (columns `x`, `lr`, `base_lr`, `max_lr` and possibly `momentum`),
#'   invisibly.
#' @export
#' @examples
#' if (kerasclr_available()) {
#'   one_cycle <- new_callback_one_cycle(max_lr = 0.1, total_steps = 100)
#'   replay_epochs(one_cycle, steps_per_epoch = 10, epochs = 10)
#'   plot_lr_history(one_cycle, granularity = "iteration", backend = "base")
#'   if (requireNamespace("ggplot2", quietly = TRUE)) {
#'     plot_lr_history(one_cycle, granularity = "iteration")
#'   }
#' }
plot_lr_history <- function(callback, granularity = c("epoch", "iteration"),
                            backend = c("ggplot2", "base"),
                            trans_y_axis = "identity", show_bounds = NULL) {
  call <- sys.call()
  check_callback(callback, "callback")
  choices <- check_plot_choices(granularity, missing(granularity), backend,
                                missing(backend), trans_y_axis)
  granularity <- choices$granularity
  backend <- choices$backend
  trans_y_axis <- choices$trans_y_axis
  policy <- policy_name(callback)
  if (is.null(show_bounds)) {
    show_bounds <- identical(policy, "CyclicLR")
  }
  show_bounds <- check_flag(show_bounds, "show_bounds")
  if (backend == "ggplot2") {
    require_ggplot2()
  }
  data <- tryCatch(
    py_frame_to_r(py_core(convert = FALSE)$lr_plot_data(callback,
                                                        granularity = granularity)),
    error = function(e) stop(simpleError(clean_py_message(conditionMessage(e)), call))
  )
  title <- paste0(policy, ": learning rate by ", granularity)
  if (backend == "ggplot2") {
    return(policy_plot_ggplot(data, granularity, trans_y_axis, show_bounds, title))
  }
  policy_plot_base(data, granularity, trans_y_axis, show_bounds, title)
  invisible(data)
}

# -- internal helpers ----------------------------------------------------------

null_or <- function(x, check) if (is.null(x)) NULL else check(x)

new_policy <- function(class_name, args) {
  core <- py_core()
  as_kerasclr_callback(py_call(do.call(core[[class_name]], args), call = sys.call(-1)))
}

policy_name <- function(callback) {
  name <- tryCatch(py_attr(callback, "policy_name"), error = function(e) NULL)
  if (is.null(name)) {
    name <- class(callback)[class(callback) != "kerasclr_callback"][1]
    name <- sub("^.*\\.", "", name)
  }
  name
}

one_cycle_args <- function(max_lr, total_steps, pct_start, anneal_strategy, div_factor,
                           final_div_factor, three_phase, base_momentum, max_momentum,
                           call = sys.call(-1)) {
  c(list(
    max_lr = check_number(max_lr, "max_lr", min = 0, min_inclusive = FALSE,
                          call = call),
    total_steps = null_or(total_steps, function(x)
      check_count(x, "total_steps", min = 2, call = call)),
    pct_start = check_number(pct_start, "pct_start", min = 0, max = 1,
                             min_inclusive = FALSE, max_inclusive = FALSE,
                             call = call),
    anneal_strategy = check_choice(anneal_strategy, c("cos", "linear"),
                                   "anneal_strategy", call = call),
    div_factor = check_number(div_factor, "div_factor", min = 0,
                              min_inclusive = FALSE, call = call),
    final_div_factor = check_number(final_div_factor, "final_div_factor", min = 0,
                                    min_inclusive = FALSE, call = call),
    three_phase = check_flag(three_phase, "three_phase", call = call)
  ), check_momentum_bounds(base_momentum, max_momentum, call = call))
}

sgdr_args <- function(max_lr, min_lr, epochs_to_restart, mult_factor, lr_decay, lr_fac,
                      lr_reduction_epochs, call = sys.call(-1)) {
  max_lr <- check_number(max_lr, "max_lr", min = 0, min_inclusive = FALSE, call = call)
  min_lr <- check_number(min_lr, "min_lr", min = 0, call = call)
  if (min_lr > max_lr) {
    check_stop("`max_lr` must be >= `min_lr` (", describe_value(min_lr), "), not ",
               describe_value(max_lr), ".", call = call)
  }
  if (!is.null(lr_reduction_epochs)) {
    if (!is.numeric(lr_reduction_epochs) || anyNA(lr_reduction_epochs) ||
        any(lr_reduction_epochs < 1) ||
        any(lr_reduction_epochs != round(lr_reduction_epochs))) {
      check_stop("`lr_reduction_epochs` must be NULL or whole numbers >= 1 ",
                 "(1-based epochs), not ", describe_value(lr_reduction_epochs), ".",
                 call = call)
    }
    lr_reduction_epochs <- as.list(as.double(lr_reduction_epochs))
  }
  list(
    max_lr = max_lr, min_lr = min_lr,
    epochs_to_restart = check_count(epochs_to_restart, "epochs_to_restart", min = 1,
                                    call = call),
    mult_factor = check_number(mult_factor, "mult_factor", min = 1, call = call),
    lr_decay = check_number(lr_decay, "lr_decay", min = 0, max = 1,
                            min_inclusive = FALSE, call = call),
    lr_fac = check_number(lr_fac, "lr_fac", min = 0, max = 1, min_inclusive = FALSE,
                          call = call),
    lr_reduction_epochs = lr_reduction_epochs
  )
}

step_decay_args <- function(initial_lr, decay_factor, step_size, call = sys.call(-1)) {
  list(
    initial_lr = check_number(initial_lr, "initial_lr", min = 0,
                              min_inclusive = FALSE, call = call),
    decay_factor = check_number(decay_factor, "decay_factor", min = 0, max = 1,
                                min_inclusive = FALSE, call = call),
    step_size = check_count(step_size, "step_size", min = 1, call = call)
  )
}

cosine_decay_args <- function(initial_learning_rate, decay_steps, alpha, warmup_target,
                              warmup_steps, call = sys.call(-1)) {
  list(
    initial_learning_rate = check_number(initial_learning_rate,
                                         "initial_learning_rate", min = 0,
                                         call = call),
    decay_steps = check_number(decay_steps, "decay_steps", min = 0,
                               min_inclusive = FALSE, call = call),
    alpha = check_number(alpha, "alpha", min = 0, max = 1, call = call),
    warmup_target = null_or(warmup_target, function(x)
      check_number(x, "warmup_target", min = 0, call = call)),
    warmup_steps = check_number(warmup_steps, "warmup_steps", min = 0, call = call)
  )
}

schedule_dtype <- function(dtype, default, call = sys.call(-1)) {
  if (default) "float32" else check_choice(dtype, c("float32", "float64"), "dtype",
                                           call = call)
}

# Whole numbers >= 0 as a 1-d float64 numpy array.
as_py_steps <- function(x, name, call = sys.call(-1)) {
  if (!is.numeric(x) || anyNA(x) || any(!is.finite(x)) || any(x < 0) ||
      any(x != round(x))) {
    bad <- if (is.numeric(x)) x[is.na(x) | !is.finite(x) | x < 0 | x != round(x)][1]
           else x
    check_stop("`", name, "` must hold whole numbers >= 0, not ",
               describe_value(bad), ".", call = call)
  }
  np <- reticulate::import("numpy", convert = FALSE)
  np$asarray(array(as.double(x), dim = length(x)), dtype = "float64")
}

preview <- function(fn, steps, args, call = sys.call(-1)) {
  core <- py_core()
  as.double(py_call(do.call(core[[fn]], c(list(steps), args)), call = call))
}

policy_plot_long <- function(data, show_bounds) {
  series <- lr_plot_series()
  if (!show_bounds) {
    series <- series[series$name == "lr", , drop = FALSE]
  }
  if ("momentum" %in% names(data)) {
    series <- rbind(series, data.frame(name = "momentum", colour = "#ff7f0e",
                                       linetype = "dotted", stringsAsFactors = FALSE))
  }
  series
}

policy_plot_ggplot <- function(data, xlab, trans_y_axis, show_bounds, title) {
  series <- policy_plot_long(data, show_bounds)
  has_momentum <- "momentum" %in% series$name
  log_y <- trans_y_axis == "log10"
  # With a momentum panel the y scales are per panel: a log10 learning rate
  # is drawn as log10 values in its own panel.
  lr_label <- if (!log_y) "learning rate" else if (has_momentum)
    "log10(learning rate)" else "learning rate (log10 scale)"
  long <- do.call(rbind, lapply(series$name, function(name) {
    value <- data[[name]]
    if (has_momentum && log_y && name != "momentum") {
      value <- log10(value)
    }
    data.frame(x = data$x, value = value, series = name,
               panel = if (name == "momentum") "momentum" else lr_label,
               stringsAsFactors = FALSE)
  }))
  long$series <- factor(long$series, levels = series$name)
  long$panel <- factor(long$panel, levels = c(lr_label, "momentum"))
  plot <- lr_series_ggplot(long, series) +
    ggplot2::labs(x = xlab, y = if (has_momentum) NULL else lr_label, title = title)
  if (has_momentum) {
    plot <- plot + ggplot2::facet_wrap(ggplot2::vars(.data$panel), ncol = 1,
                                       scales = "free_y")
  } else {
    plot <- plot + ggplot2::scale_y_continuous(trans = trans_y_axis)
  }
  if (xlab == "epoch" || nrow(data) == 1L) {
    plot <- plot + ggplot2::geom_point(size = 1)
  }
  plot
}

policy_plot_base <- function(data, xlab, trans_y_axis, show_bounds, title) {
  series <- policy_plot_long(data, show_bounds)
  lr_series <- series[series$name != "momentum", , drop = FALSE]
  has_momentum <- "momentum" %in% series$name
  if (has_momentum) {
    old <- graphics::par(mfrow = c(2, 1), mar = c(4, 4, 2, 1))
    on.exit(graphics::par(old), add = TRUE)
  }
  type <- lr_panel_base(data, lr_series, xlab, trans_y_axis, title)
  if (has_momentum) {
    graphics::plot(data$x, data$momentum, type = type, pch = 20, cex = 0.6,
                   col = "#ff7f0e", lty = "dotted", xlab = xlab, ylab = "momentum",
                   main = "momentum")
  }
  invisible(data)
}
