#' Plot the learning rate history of a cyclical learning rate callback
#'
#' Draws the learning rate together with the bounds `base_lr` and `max_lr`,
#' per epoch (the learning rate the next epoch starts with) or per training
#' iteration. The numbers come from the Python core
#' (`kerasclr.clr_plot_data()`), so R and Python plots show the same values.
#'
#' @param callback A trained callback made by
#'   [new_callback_cyclical_learning_rate()] (or another kerasclr policy).
#' @param granularity `"epoch"` (one point per epoch) or `"iteration"` (one
#'   point per training batch).
#' @param backend `"ggplot2"` (needs the ggplot2 package) or `"base"`.
#' @param trans_y_axis Transformation of the y axis: `"identity"` or
#'   `"log10"`.
#' @return For `backend = "ggplot2"` a ggplot object (print it to draw it);
#'   for `"base"` the plotted data frame (columns `x`, `lr`, `base_lr`,
#'   `max_lr`), invisibly, after drawing.
#' @export
#' @examples
#' if (kerasclr_available()) {
#'   clr <- new_callback_cyclical_learning_rate(step_size = 20, mode = "exp_range",
#'                                              gamma = 0.995, verbose = 0)
#'   replay_epochs(clr, steps_per_epoch = 13, epochs = 8)
#'   plot_clr_history(clr, granularity = "iteration", backend = "base")
#'   if (requireNamespace("ggplot2", quietly = TRUE)) {
#'     plot_clr_history(clr, backend = "ggplot2", trans_y_axis = "log10")
#'   }
#' }
plot_clr_history <- function(callback, granularity = c("epoch", "iteration"),
                             backend = c("ggplot2", "base"),
                             trans_y_axis = "identity") {
  check_callback(callback, "callback")
  choices <- check_plot_choices(granularity, missing(granularity), backend,
                                missing(backend), trans_y_axis)
  granularity <- choices$granularity
  backend <- choices$backend
  trans_y_axis <- choices$trans_y_axis
  if (backend == "ggplot2") {
    require_ggplot2()
  }
  data <- clr_plot_frame(callback, granularity)
  title <- paste("Learning rate by", granularity)
  if (backend == "ggplot2") {
    return(lr_plot_ggplot(data, xlab = granularity, trans_y_axis = trans_y_axis,
                          title = title))
  }
  lr_plot_base(data, xlab = granularity, trans_y_axis = trans_y_axis, title = title)
  invisible(data)
}

# The data a history plot draws (columns x, lr, base_lr, max_lr), from Python.
clr_plot_frame <- function(callback, granularity, call = sys.call(-1)) {
  frame <- tryCatch(
    py_core(convert = FALSE)$clr_plot_data(callback, granularity = granularity),
    error = function(e) stop(simpleError(clean_py_message(conditionMessage(e)), call))
  )
  py_frame_to_r(frame)
}

# The choices every history plot takes (`granularity` and `backend` default
# to their first value when missing); errors name the plotting function.
check_plot_choices <- function(granularity, granularity_missing, backend,
                               backend_missing, trans_y_axis, call = sys.call(-1)) {
  list(
    granularity = if (granularity_missing) "epoch" else
      check_choice(granularity, c("epoch", "iteration"), "granularity", call = call),
    backend = if (backend_missing) "ggplot2" else
      check_choice(backend, c("ggplot2", "base"), "backend", call = call),
    trans_y_axis = check_choice(trans_y_axis, c("identity", "log10"), "trans_y_axis",
                                call = call)
  )
}

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

# Series drawn by the lr plots, in legend order, with their colours and
# line types (shared by both backends).
lr_plot_series <- function() {
  data.frame(
    name = c("max_lr", "lr", "base_lr"),
    colour = c("#d62728", "#1f77b4", "#2ca02c"),
    linetype = c("dashed", "solid", "dashed"),
    stringsAsFactors = FALSE
  )
}

lr_plot_ggplot <- function(data, xlab, trans_y_axis = "identity", title = NULL) {
  series <- lr_plot_series()
  long <- do.call(rbind, lapply(series$name, function(name) {
    data.frame(x = data$x, value = data[[name]], series = name,
               stringsAsFactors = FALSE)
  }))
  long$series <- factor(long$series, levels = series$name)
  plot <- lr_series_ggplot(long, series) +
    ggplot2::scale_y_continuous(trans = trans_y_axis) +
    ggplot2::labs(
      x = xlab,
      y = if (trans_y_axis == "log10") "learning rate (log10 scale)" else "learning rate",
      title = title
    )
  if (xlab == "epoch" || nrow(data) == 1L) {
    plot <- plot + ggplot2::geom_point(size = 1)
  }
  plot
}

# Lines of `long` (columns x, value, series) coloured and dashed as in
# `series` (rows of lr_plot_series(), possibly with momentum).
lr_series_ggplot <- function(long, series) {
  ggplot2::ggplot(
    long,
    ggplot2::aes(x = .data$x, y = .data$value, colour = .data$series,
                 linetype = .data$series)
  ) +
    ggplot2::geom_line() +
    ggplot2::scale_colour_manual(values = stats::setNames(series$colour, series$name),
                                 name = NULL) +
    ggplot2::scale_linetype_manual(values = stats::setNames(series$linetype,
                                                            series$name),
                                   name = NULL)
}

lr_plot_base <- function(data, xlab, trans_y_axis = "identity", title = NULL) {
  lr_panel_base(data, lr_plot_series(), xlab, trans_y_axis, title)
  invisible(data)
}

# The learning-rate panel of the base-graphics plots: `series` (rows of
# lr_plot_series()) drawn against data$x, with its legend.
lr_panel_base <- function(data, series, xlab, trans_y_axis, title) {
  ylim <- range(unlist(data[series$name]), na.rm = TRUE)
  log <- if (trans_y_axis == "log10") "y" else ""
  if (log == "y" && ylim[1] <= 0) {
    stop("`trans_y_axis = \"log10\"` needs learning rates > 0; the smallest is ",
         describe_value(ylim[1]), ".", call. = FALSE)
  }
  type <- if (xlab == "epoch" || nrow(data) == 1L) "o" else "l"
  graphics::plot(data$x, data$lr, type = "n", ylim = ylim, log = log, xlab = xlab,
                 ylab = if (log == "y") "learning rate (log10 scale)" else "learning rate",
                 main = title)
  for (i in seq_len(nrow(series))) {
    graphics::lines(data$x, data[[series$name[i]]], col = series$colour[i],
                    lty = series$linetype[i], type = type, pch = 20, cex = 0.6)
  }
  graphics::legend("topright", legend = series$name, col = series$colour,
                   lty = series$linetype, bty = "n", cex = 0.8)
  type
}

utils::globalVariables(".data")
