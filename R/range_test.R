#' LR range test: find `base_lr` and `max_lr` for a cyclical learning rate
#'
#' Trains `model` for `steps` batches while the learning rate rises from
#' `min_lr` to `max_lr`, records the loss of every step, smooths it and
#' suggests the band of a cyclical learning rate (the "LR range test" of
#' Smith, arXiv:1506.01186). The test stops early when a loss is NaN/Inf or
#' when the smoothed loss diverges. By default the model's weights, the
#' optimizer's state and its learning rate are restored afterwards, so the
#' test leaves no diverged model behind. Everything is computed by the Python
#' core (`kerasclr.lr_range_test()`); R and Python give the same numbers.
#'
#' The learning rate of step `i` (0-based) is
#' `min_lr * (max_lr / min_lr)^(i / (steps - 1))` for `sweep = "exponential"`
#' and rises linearly (the rising half of a triangular cycle, the paper's
#' original test) for `sweep = "linear"`; it is exact at every step. The
#' smoothed loss is a bias-corrected exponential moving average with factor
#' `beta`: `avg_i = beta * avg_(i-1) + (1 - beta) * loss_i`, divided by
#' `1 - beta^(i + 1)`. It lags the loss by about `beta / (1 - beta)` steps,
#' so lower `beta` for short tests. The test diverges when the smoothed loss
#' exceeds `best + (diverge_threshold - 1) * abs(best)`, `best` being the
#' lowest smoothed loss so far (`diverge_threshold * best` for positive
#' losses; still above `best` for negative ones).
#'
#' The suggestion rules are described in [suggest_lr_band()].
#'
#' @param model A compiled Keras model (a Python object: from the 'keras3'
#'   package or `reticulate::import("keras")`), compiled with a numeric
#'   learning rate (`steps_per_execution = 1` when `restore_weights = FALSE`).
#' @param x,y Training data, as for keras3's `fit()`: matrices or arrays (a
#'   plain vector is used as a one-column matrix, a data frame as a matrix),
#'   or lists of them, with the targets in `y`; or a TensorFlow dataset
#'   (tfdatasets, `tf$data`) or another Keras data source yielding
#'   `(inputs, targets)` batches, with `y = NULL` and `batch_size = NULL`. A
#'   dataset with fewer than `steps` batches must repeat
#'   (`tfdatasets::dataset_repeat()`).
#' @param min_lr Learning rate of the first step (> 0).
#' @param max_lr Learning rate of the last step (> `min_lr`).
#' @param steps Number of training steps (>= 2); the data is repeated if one
#'   pass has fewer batches.
#' @param sweep `"exponential"` or `"linear"`.
#' @param batch_size Samples per batch (>= 1) for matrices and arrays;
#'   `NULL` (the default) means 32 for them, and is what a dataset needs (its
#'   batches are used as they are).
#' @param beta Smoothing factor, in \[0, 1).
#' @param diverge_threshold Divergence multiple (> 1); `Inf` never stops early.
#' @param restore_weights Restore the weights and optimizer state afterwards.
#' @param method Suggestion rule: `"fall"`, `"steepest"`, `"minimum"` or
#'   `"valley"` (see [suggest_lr_band()]).
#' @param base_ratio `max_lr / base_lr` for the alternative methods (> 1).
#' @param shuffle Shuffle the data at every pass.
#' @param verbose Verbosity of `fit()` (0, 1 or 2).
#'
#' @return A list of class `kerasclr_lr_range_test`:
#'   * `history`: data frame with one row per step: `iteration` (integer,
#'     0-based), `lr`, `loss` and `smoothed_loss`;
#'   * `suggestion`: list of `base_lr` and `max_lr` (`NULL`, with a warning,
#'     when the loss never fell), ready for
#'     `do.call(new_callback_cyclical_learning_rate, c(result$suggestion, ...))`;
#'   * `method`: the rule used;
#'   * `stop_reason`: `"completed"`, `"diverged"` or `"non_finite_loss"`.
#' @seealso [plot_lr_range_test()], [suggest_lr_band()],
#'   [new_callback_cyclical_learning_rate()]
#' @export
#' @examplesIf kerasclr_available()
#' keras <- reticulate::import("keras")
#' keras$utils$set_random_seed(1L)
#' x <- matrix(rnorm(300), ncol = 3)
#' y <- x %*% c(1, 2, 3)
#' model <- keras$Sequential(list(keras$Input(shape = list(3L)),
#'                                keras$layers$Dense(1L)))
#' model$compile(optimizer = keras$optimizers$SGD(0.01), loss = "mse")
#' result <- lr_range_test(model, x, y, min_lr = 1e-4, max_lr = 10,
#'                         steps = 80, batch_size = 10, beta = 0.9)
#' result
#' head(result$history)
#' plot_lr_range_test(result, backend = "base")
#' clr <- do.call(new_callback_cyclical_learning_rate,
#'                c(result$suggestion, list(step_size = 40, verbose = 0)))
lr_range_test <- function(model, x, y = NULL, min_lr = 1e-7, max_lr = 1, steps = 200,
                          sweep = c("exponential", "linear"), batch_size = NULL,
                          beta = 0.98, diverge_threshold = 4, restore_weights = TRUE,
                          method = c("fall", "steepest", "minimum", "valley"),
                          base_ratio = 4, shuffle = TRUE, verbose = 0) {
  call <- sys.call()
  args <- capture_args(list(x = function(x) as_fit_data(x, "x", call),
                            y = function(y) as_fit_data(y, "y", call)))
  result <- py_invoke(py_core()$lr_range_test, args)
  structure(
    list(
      history = py_frame_to_r(reticulate::py_get_attr(result, "history")),
      suggestion = result$suggestion,
      method = result$method,
      stop_reason = result$stop_reason
    ),
    class = "kerasclr_lr_range_test"
  )
}

#' @export
print.kerasclr_lr_range_test <- function(x, ...) {
  history <- x$history
  cat("<kerasclr LR range test>", nrow(history), "steps, lr",
      if (nrow(history)) paste(format(range(history$lr), digits = 4),
                               collapse = " .. ") else "-",
      paste0("(", if (is.null(x$stop_reason)) "not run" else x$stop_reason, ")"),
      "\n")
  if (is.null(x$suggestion)) {
    cat("no suggestion (the loss never fell)\n")
  } else {
    cat(sprintf("suggestion (%s): base_lr = %s, max_lr = %s\n", x$method,
                format(x$suggestion$base_lr, digits = 4),
                format(x$suggestion$max_lr, digits = 4)))
  }
  invisible(x)
}

#' Suggest a cyclical learning rate band from a range test's loss curve
#'
#' A deterministic function of the learning rates and the smoothed losses of
#' an LR range test (computed by the Python core,
#' `kerasclr.suggest_lr_band()`). Only the part before the first NaN/Inf
#' loss counts.
#'
#' The rules use `start`, the median of the smoothed loss over the first half
#' of the steps up to its minimum (the plateau at small learning rates; a
#' median, so the noisy first values of the moving average do not count),
#' and `drop = start - minimum`:
#' * `"fall"` (default): `base_lr` is the learning rate of the step after the
#'   last step before the minimum at which the smoothed loss is still at or
#'   above `start - 10% of drop` (from there on the loss has started to fall
#'   clearly, for good); `max_lr` the first learning rate after that at which
#'   it is at or below `start - 90% of drop` (the fall is nearly over, still
#'   before the minimum). If both are the same step,
#'   `base_lr = max_lr / base_ratio`.
#' * `"steepest"`: `max_lr` at the steepest descent of the smoothed loss
#'   against `log10(lr)`, between the last step at or above `start` and the
#'   minimum.
#' * `"minimum"`: `max_lr` is a tenth of the learning rate at the minimum.
#' * `"valley"`: `max_lr` halfway (in steps) through the longest strictly
#'   decreasing subsequence of the smoothed loss.
#'
#' For the last three, `base_lr = max_lr / base_ratio` (the CLR paper
#' suggests 3 or 4).
#'
#' @param lr Learning rates, positive and strictly increasing.
#' @param loss Smoothed losses, as many as `lr`.
#' @param method `"fall"`, `"steepest"`, `"minimum"` or `"valley"`.
#' @param base_ratio `max_lr / base_lr` for the alternative methods (> 1).
#' @return A list of `base_lr` and `max_lr`. An error when the loss never
#'   falls.
#' @export
#' @examplesIf kerasclr_available()
#' lr <- 10^seq(-5, 0, by = 0.1)
#' loss <- c(rep(1, 11), 1 - 0.04 * 1:25, 0.5 * 1:15)
#' suggest_lr_band(lr, loss)
#' suggest_lr_band(lr, loss, method = "valley")
suggest_lr_band <- function(lr, loss, method = c("fall", "steepest", "minimum", "valley"),
                            base_ratio = 4) {
  if (!is.numeric(lr) || !is.numeric(loss)) {
    check_stop("`lr` and `loss` must be numeric vectors, not ", describe_value(lr),
               " and ", describe_value(loss), ".", call = sys.call())
  }
  args <- capture_args(list(lr = function(x) array(as.double(x)),
                            loss = function(x) array(as.double(x))))
  py_invoke(py_core()$suggest_lr_band, args)
}

#' Plot an LR range test
#'
#' Draws the loss (lightly) and the smoothed loss against the learning rate
#' on a log10 x axis, with the suggested band shaded. The y axis shows the
#' fall of the loss; the diverging tail is cut off (the limits come from the
#' Python core, `kerasclr.suggest.loss_plot_limits()`, as in Python's
#' `result.plot()`).
#'
#' @param result The value of [lr_range_test()].
#' @param backend `"ggplot2"` (needs the ggplot2 package) or `"base"`.
#' @param show_loss Also draw the raw (unsmoothed) loss.
#' @return For `"ggplot2"` a ggplot object; for `"base"` `result`,
#'   invisibly, after drawing.
#' @export
#' @examples
#' # see lr_range_test()
plot_lr_range_test <- function(result, backend = c("ggplot2", "base"),
                               show_loss = TRUE) {
  check_required()
  if (!inherits(result, "kerasclr_lr_range_test")) {
    check_stop("`result` must be the value of lr_range_test(), not ",
               describe_value(result), ".", call = sys.call())
  }
  backend <- if (missing(backend)) "ggplot2" else
    check_choice(backend, c("ggplot2", "base"), "backend")
  show_loss <- check_flag(show_loss, "show_loss")
  if (backend == "ggplot2") {
    require_ggplot2()
  }
  data <- result$history
  if (nrow(data) == 0L) {
    check_stop("`result` has no steps to plot.", call = sys.call())
  }
  ylim <- unlist(py_invoke(py_gateway()$loss_plot_limits,
                           list(array(as.double(data$smoothed_loss)))))
  band <- result$suggestion
  if (backend == "ggplot2") {
    return(range_test_ggplot(data, band, result$method, ylim, show_loss))
  }
  range_test_base(data, band, result$method, ylim, show_loss)
  invisible(result)
}

range_test_colours <- c(loss = "#9ecae1", smoothed = "#1f77b4", band = "#2ca02c")

range_test_ggplot <- function(data, band, method, ylim, show_loss) {
  plot <- ggplot2::ggplot(data, ggplot2::aes(x = .data$lr))
  if (!is.null(band)) {
    plot <- plot + ggplot2::annotate(
      "rect", xmin = band$base_lr, xmax = band$max_lr, ymin = -Inf, ymax = Inf,
      fill = range_test_colours[["band"]], alpha = 0.2
    )
  }
  if (show_loss) {
    plot <- plot + ggplot2::geom_line(ggplot2::aes(y = .data$loss),
                                      colour = range_test_colours[["loss"]],
                                      na.rm = TRUE)
  }
  finite <- is.finite(ylim)
  plot +
    ggplot2::geom_line(ggplot2::aes(y = .data$smoothed_loss),
                       colour = range_test_colours[["smoothed"]], linewidth = 0.9,
                       na.rm = TRUE) +
    ggplot2::scale_x_log10() +
    ggplot2::coord_cartesian(ylim = if (all(finite)) ylim else NULL) +
    ggplot2::labs(
      x = "learning rate (log10 scale)", y = "loss", title = "LR range test",
      subtitle = if (is.null(band)) "no suggestion" else sprintf(
        "suggested band (%s): %s .. %s", method,
        format(band$base_lr, digits = 3), format(band$max_lr, digits = 3))
    )
}

range_test_base <- function(data, band, method, ylim, show_loss) {
  if (!all(is.finite(ylim))) {
    ylim <- NULL
  }
  graphics::plot(data$lr, data$smoothed_loss, type = "n", log = "x", ylim = ylim,
                 xlab = "learning rate (log10 scale)", ylab = "loss",
                 main = "LR range test")
  if (!is.null(band)) {
    usr <- graphics::par("usr")
    graphics::rect(band$base_lr, usr[3], band$max_lr, usr[4], border = NA,
                   col = paste0(range_test_colours[["band"]], "33"))
  }
  if (show_loss) {
    graphics::lines(data$lr, data$loss, col = range_test_colours[["loss"]])
  }
  graphics::lines(data$lr, data$smoothed_loss, col = range_test_colours[["smoothed"]],
                  lwd = 2)
  labels <- c(if (show_loss) "loss", "smoothed loss",
              if (!is.null(band)) sprintf("suggested band (%s)", method))
  graphics::legend("topleft", legend = labels, bty = "n", cex = 0.8,
                   col = c(if (show_loss) range_test_colours[["loss"]],
                           range_test_colours[["smoothed"]],
                           if (!is.null(band)) paste0(range_test_colours[["band"]], "66")),
                   lwd = c(if (show_loss) 1, 2, if (!is.null(band)) 8))
}
