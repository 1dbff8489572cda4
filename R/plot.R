#' Plot the learning rate history of a cyclical learning rate callback
#'
#' Draws the learning rate together with the bounds `base_lr` and `max_lr`,
#' per epoch (the learning rate the next epoch starts with) or per training
#' iteration. The numbers come from the Python core
#' (`kerasclr.clr_plot_data()`), so R and Python plots show the same values.
#' The arguments are those of 'KerasMisc', so its scripts run unchanged.
#'
#' @param callback_clr A trained callback made by
#'   [new_callback_cyclical_learning_rate()] (or another kerasclr policy).
#' @param granularity `"epoch"` (one point per epoch) or `"iteration"` (one
#'   point per training batch).
#' @param backend `"ggplot2"` (needs the ggplot2 package) or `"base"`.
#' @param trans_y_axis Transformation of the learning-rate axis. With
#'   `backend = "ggplot2"` anything [ggplot2::scale_y_continuous()] takes as
#'   `trans`: a name such as `"identity"`, `"log10"`, `"log2"` or `"sqrt"`,
#'   or a transformation object of the scales package. With
#'   `backend = "base"`: `"identity"` or `"log10"`.
#' @return For `backend = "ggplot2"` a ggplot object (print it to draw it);
#'   for `"base"` the plotted data frame (columns `x`, `lr`, `base_lr`,
#'   `max_lr`), invisibly, after drawing.
#' @seealso [plot_lr_history()] for every policy.
#' @export
#' @examplesIf kerasclr_available()
#' clr <- new_callback_cyclical_learning_rate(step_size = 20, mode = "exp_range",
#'                                            gamma = 0.995, verbose = 0)
#' replay_epochs(clr, steps_per_epoch = 13, epochs = 8)
#' plot_clr_history(clr, granularity = "iteration", backend = "base")
#' if (requireNamespace("ggplot2", quietly = TRUE)) {
#'   plot_clr_history(clr, backend = "ggplot2", trans_y_axis = "log10")
#' }
plot_clr_history <- function(callback_clr, granularity = "epoch", backend = "ggplot2",
                             trans_y_axis = "identity") {
  check_required()
  plot_history(callback_clr, "callback_clr", granularity, backend, trans_y_axis,
               show_bounds = TRUE, momentum = FALSE,
               title = function(policy) paste("Learning rate by", granularity))
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
#' @inheritParams plot_clr_history
#' @param show_bounds Draw `base_lr` and `max_lr`; `NULL` (default) draws
#'   them for the cyclical policy only.
#' @return For `"ggplot2"` a ggplot object; for `"base"` the plotted data
#'   frame (columns `x`, `lr`, `base_lr`, `max_lr` and possibly `momentum`),
#'   invisibly.
#' @export
#' @examplesIf kerasclr_available()
#' one_cycle <- new_callback_one_cycle(max_lr = 0.1, total_steps = 100)
#' replay_epochs(one_cycle, steps_per_epoch = 10, epochs = 10)
#' plot_lr_history(one_cycle, granularity = "iteration", backend = "base")
#' if (requireNamespace("ggplot2", quietly = TRUE)) {
#'   plot_lr_history(one_cycle, granularity = "iteration")
#' }
plot_lr_history <- function(callback, granularity = "epoch", backend = "ggplot2",
                            trans_y_axis = "identity", show_bounds = NULL) {
  check_required()
  plot_history(callback, "callback", granularity, backend, trans_y_axis, show_bounds,
               momentum = TRUE,
               title = function(policy) paste0(policy, ": learning rate by ", granularity))
}

# The one history plot behind plot_clr_history() and plot_lr_history(): the
# data (and the policy's name, and whether to draw the bounds) come from
# Python's kerasclr._r.history_plot(); R draws them. `argument` names the R
# argument that holds the callback; errors name the exported function.
plot_history <- function(callback, argument, granularity, backend, trans_y_axis,
                         show_bounds, momentum, title, call = sys.call(-1)) {
  check_choice(backend, c("ggplot2", "base"), "backend", call = call)
  if (backend == "ggplot2") {
    require_ggplot2(call)
  }
  axis <- lr_axis(trans_y_axis, backend, call)
  env <- parent.frame()
  result <- py_invoke(py_gateway()$history_plot,
                      list(callback, granularity = granularity, show_bounds = show_bounds,
                           argument = argument, momentum = momentum),
                      call = call, env = env)
  data <- columns_to_frame(result[[1]])
  series <- lr_plot_series(data, isTRUE(result[[3]]))
  draw <- if (backend == "ggplot2") lr_plot_ggplot else lr_plot_base
  draw(data, series, granularity, axis, title(result[[2]]))
}

# The learning-rate axis: `trans` for ggplot2 and the label. ggplot2 checks
# its transformations itself; base graphics draws "identity" and "log10".
lr_axis <- function(trans_y_axis, backend, call) {
  name <- if (is.character(trans_y_axis) && length(trans_y_axis) == 1L) trans_y_axis
  if (backend == "base") {
    if (!identical(name, "identity") && !identical(name, "log10")) {
      check_stop("`trans_y_axis` must be \"identity\" or \"log10\" with ",
                 "`backend = \"base\"` (other transformations need ",
                 "`backend = \"ggplot2\"`), not ", describe_value(trans_y_axis), ".",
                 call = call)
    }
  } else {
    scale <- tryCatch(ggplot2::scale_y_continuous(trans = trans_y_axis),
                      error = function(e) NULL)
    if (is.null(scale)) {
      check_stop("`trans_y_axis` must be a transformation ggplot2 knows (such as ",
                 "\"identity\", \"log10\", \"log2\", \"sqrt\" or a transformation ",
                 "object of the scales package), not ", describe_value(trans_y_axis),
                 ".", call = call)
    }
    transformation <- if (is.function(scale$get_transformation)) {
      scale$get_transformation()
    } else {
      scale$trans
    }
    name <- name %||% transformation$name
  }
  list(
    trans = trans_y_axis,
    name = name,
    identity = identical(name, "identity"),
    transform = if (backend == "ggplot2") transformation$transform,
    label = if (identical(name, "identity")) "learning rate" else
      paste0("learning rate (", name, " scale)")
  )
}

`%||%` <- function(x, y) if (is.null(x)) y else x

ggplot2_installed <- function() requireNamespace("ggplot2", quietly = TRUE)

require_ggplot2 <- function(call = sys.call(-1)) {
  if (!ggplot2_installed()) {
    stop(simpleError(paste0(
      "`backend = \"ggplot2\"` needs the ggplot2 package. Install it with ",
      "`install.packages(\"ggplot2\")` (Debian: `apt-get install r-cran-ggplot2`), ",
      "or use `backend = \"base\"`."
    ), call))
  }
  invisible(TRUE)
}

# The series a plot draws, in legend order, with their colours and line
# types (both backends): the bounds when `show_bounds`, and the momentum
# when the data has it.
lr_plot_series <- function(data, show_bounds) {
  series <- data.frame(
    name = c("max_lr", "lr", "base_lr", "momentum"),
    colour = c("#d62728", "#1f77b4", "#2ca02c", "#ff7f0e"),
    linetype = c("dashed", "solid", "dashed", "dotted"),
    stringsAsFactors = FALSE
  )
  keep <- series$name == "lr" | (show_bounds & series$name %in% c("max_lr", "base_lr")) |
    (series$name == "momentum" & "momentum" %in% names(data))
  series[keep, , drop = FALSE]
}

lr_plot_ggplot <- function(data, series, xlab, axis, title) {
  has_momentum <- "momentum" %in% series$name
  # With a momentum panel the y scales are per panel: a transformed learning
  # rate is drawn as transformed values in its own panel.
  lr_label <- if (has_momentum && !axis$identity) {
    paste0(axis$name, "(learning rate)")
  } else {
    axis$label
  }
  long <- do.call(rbind, lapply(series$name, function(name) {
    value <- data[[name]]
    if (has_momentum && !axis$identity && name != "momentum") {
      value <- axis$transform(value)
    }
    data.frame(x = data$x, value = value, series = name, stringsAsFactors = FALSE)
  }))
  long$series <- factor(long$series, levels = series$name)
  if (has_momentum) {
    long$panel <- factor(ifelse(long$series == "momentum", "momentum", lr_label),
                         levels = c(lr_label, "momentum"))
  }
  plot <- ggplot2::ggplot(
    long,
    ggplot2::aes(x = .data$x, y = .data$value, colour = .data$series,
                 linetype = .data$series)
  ) +
    ggplot2::geom_line() +
    ggplot2::scale_colour_manual(values = stats::setNames(series$colour, series$name),
                                 name = NULL) +
    ggplot2::scale_linetype_manual(values = stats::setNames(series$linetype,
                                                            series$name),
                                   name = NULL) +
    ggplot2::labs(x = xlab, y = if (has_momentum) NULL else lr_label, title = title)
  if (has_momentum) {
    plot <- plot +
      ggplot2::facet_wrap(ggplot2::vars(.data$panel), ncol = 1, scales = "free_y")
  } else {
    # ggplot2's labels of a transformed axis show every digit of its breaks
    # (log2: "0.0039062500"); these show three.
    plot <- plot + ggplot2::scale_y_continuous(
      trans = axis$trans,
      labels = if (axis$identity) ggplot2::waiver() else compact_labels
    )
  }
  if (xlab == "epoch") {
    plot <- plot + ggplot2::scale_x_continuous(breaks = whole_number_breaks)
  }
  if (xlab == "epoch" || nrow(data) == 1L) {
    plot <- plot + ggplot2::geom_point(size = 1)
  }
  plot
}

# Axis labels with three significant digits, in one notation, without
# trailing zeros: "0.000488", "0.000977", "0.00195"; "5e-04", "1e-03".
compact_labels <- function(x) {
  labels <- format(signif(x, 3), trim = TRUE, drop0trailing = TRUE)
  labels[is.na(x)] <- NA
  labels
}

# Breaks of an epoch axis (no epoch 2.5), from the axis limits: R's pretty()
# breaks that are whole numbers within the limits, or every whole number in
# the limits when those are fewer than two.
whole_number_breaks <- function(limits) {
  limits <- range(limits[is.finite(limits)])
  breaks <- pretty(limits)
  breaks <- breaks[breaks == round(breaks) & breaks >= limits[1] & breaks <= limits[2]]
  if (length(breaks) < 2L && ceiling(limits[1]) <= floor(limits[2])) {
    breaks <- as.double(seq(ceiling(limits[1]), floor(limits[2])))
  }
  breaks
}

lr_plot_base <- function(data, series, xlab, axis, title) {
  lr_series <- series[series$name != "momentum", , drop = FALSE]
  has_momentum <- "momentum" %in% series$name
  if (has_momentum) {
    old <- graphics::par(mfrow = c(2, 1), mar = c(4, 4, 2, 1))
    on.exit(graphics::par(old), add = TRUE)
  }
  ylim <- range(unlist(data[lr_series$name]), na.rm = TRUE)
  log <- if (axis$identity) "" else "y"
  if (log == "y" && ylim[1] <= 0) {
    stop("`trans_y_axis = \"log10\"` needs learning rates > 0; the smallest is ",
         describe_value(ylim[1]), ".", call. = FALSE)
  }
  type <- if (xlab == "epoch" || nrow(data) == 1L) "o" else "l"
  # an epoch axis: whole numbers only
  epochs <- xlab == "epoch"
  graphics::plot(data$x, data$lr, type = "n", ylim = ylim, log = log, xlab = xlab,
                 ylab = axis$label, main = title, xaxt = if (epochs) "n" else "s")
  if (epochs) {
    graphics::axis(1, at = whole_number_breaks(data$x))
  }
  for (i in seq_len(nrow(lr_series))) {
    graphics::lines(data$x, data[[lr_series$name[i]]], col = lr_series$colour[i],
                    lty = lr_series$linetype[i], type = type, pch = 20, cex = 0.6)
  }
  graphics::legend("topright", legend = lr_series$name, col = lr_series$colour,
                   lty = lr_series$linetype, bty = "n", cex = 0.8)
  if (has_momentum) {
    graphics::plot(data$x, data$momentum, type = type, pch = 20, cex = 0.6,
                   col = "#ff7f0e", lty = "dotted", xlab = xlab, ylab = "momentum",
                   main = "momentum", xaxt = if (epochs) "n" else "s")
    if (epochs) {
      graphics::axis(1, at = whole_number_breaks(data$x))
    }
  }
  invisible(data)
}

utils::globalVariables(".data")
