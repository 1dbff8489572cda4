# Snapshots need a deterministic history: replayed epochs, no training.

test_that("ggplot2 plots draw lr, base_lr and max_lr with a legend", {
  skip_if_no_kerasclr()
  skip_if_not_installed("ggplot2")
  callback <- plateau_callback()
  plot <- plot_clr_history(callback)
  expect_s3_class(plot, "ggplot")
  geoms <- vapply(plot$layers, function(layer) class(layer$geom)[1], character(1))
  expect_identical(geoms, c("GeomLine", "GeomPoint"))
  expect_identical(plot$labels$x, "epoch")
  expect_identical(plot$labels$y, "learning rate")
  expect_identical(plot$labels$title, "Learning rate by epoch")
  expect_identical(levels(plot$data$series), c("max_lr", "lr", "base_lr"))
  epochs <- callback$history_epoch
  expect_identical(plot$data$x, rep(epochs$epoch, 3))
  expect_identical(plot$data$value, c(epochs$max_lr, epochs$lr, epochs$base_lr))
  built <- ggplot2::ggplot_build(plot)
  expect_identical(length(unique(built$data[[1]]$colour)), 3L)
  legend <- ggplot2::ggplot_gtable(built)
  expect_true(any(grepl("guide-box", legend$layout$name)))

  plot <- plot_clr_history(callback, granularity = "iteration", trans_y_axis = "log10")
  geoms <- vapply(plot$layers, function(layer) class(layer$geom)[1], character(1))
  expect_identical(geoms, "GeomLine")
  expect_identical(plot$labels$x, "iteration")
  expect_identical(plot$labels$y, "learning rate (log10 scale)")
  expect_identical(plot$scales$get_scales("y")$trans$name, "log-10")
  history <- callback$history
  expect_identical(plot$data$x, rep(history$iteration, 3))
  expect_identical(plot$data$value[plot$data$series == "lr"], history$lr)
})

test_that("base plots draw the bounds inside the y-limits and return invisibly", {
  skip_if_no_kerasclr()
  callback <- plateau_callback()
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  for (granularity in c("epoch", "iteration")) {
    data <- expect_invisible(plot_clr_history(callback, granularity = granularity,
                                              backend = "base"))
    expect_identical(names(data), c("x", "lr", "base_lr", "max_lr"))
    usr <- graphics::par("usr")
    expect_lte(usr[3], min(data$base_lr))
    expect_gte(usr[4], max(data$max_lr))
    expect_lte(usr[1], min(data$x))
    expect_gte(usr[2], max(data$x))
  }
  expect_identical(nrow(data), nrow(callback$history))
  plot_clr_history(callback, backend = "base", trans_y_axis = "log10")
  expect_true(graphics::par("ylog"))
})

test_that("plots match their snapshots (both backends, both granularities)", {
  skip_if_no_kerasclr()
  skip_if_not_installed("ggplot2")
  skip_if_not_installed("vdiffr")
  callback <- plateau_callback()
  vdiffr::expect_doppelganger("ggplot2 epoch", plot_clr_history(callback))
  vdiffr::expect_doppelganger("ggplot2 iteration",
                              plot_clr_history(callback, granularity = "iteration"))
  vdiffr::expect_doppelganger(
    "ggplot2 iteration log10",
    plot_clr_history(callback, granularity = "iteration", trans_y_axis = "log10")
  )
  vdiffr::expect_doppelganger(
    "ggplot2 iteration log2",
    plot_clr_history(callback, granularity = "iteration", trans_y_axis = "log2")
  )
  vdiffr::expect_doppelganger("base epoch", function() {
    plot_clr_history(callback, backend = "base")
  })
  vdiffr::expect_doppelganger("base iteration", function() {
    plot_clr_history(callback, granularity = "iteration", backend = "base")
  })
})

test_that("transformed axes have compact labels and epoch axes whole-number breaks", {
  expect_identical(kerasclr:::whole_number_breaks(c(1, 3)), c(1, 2, 3))
  expect_identical(kerasclr:::whole_number_breaks(c(1, 2)), c(1, 2))
  expect_identical(kerasclr:::whole_number_breaks(c(1, 1)), 1)
  expect_identical(kerasclr:::whole_number_breaks(c(1, 10)), c(2, 4, 6, 8, 10))
  expect_identical(kerasclr:::whole_number_breaks(c(1, 129)), c(20, 40, 60, 80, 100, 120))
  expect_identical(kerasclr:::compact_labels(c(NA, 2^-11, 2^-10, 2^-9, 2^-8)),
                   c(NA, "0.000488", "0.000977", "0.00195", "0.00391"))
  expect_identical(kerasclr:::compact_labels(c(5e-4, 1e-3, 3e-3)), c("5e-04", "1e-03", "3e-03"))
  skip_if_no_kerasclr()
  skip_if_not_installed("ggplot2")
  axis_of <- function(plot, axis) {
    scale <- ggplot2::ggplot_build(plot)$layout$panel_params[[1]][[axis]]
    shown <- !is.na(scale$breaks)
    list(breaks = scale$breaks[shown], labels = scale$get_labels()[shown])
  }
  callback <- plateau_callback()
  y <- axis_of(plot_clr_history(callback, granularity = "iteration", trans_y_axis = "log2"),
               "y")
  expect_identical(y$labels, c("0.000488", "0.000977", "0.00195", "0.00391"))
  # identity axes keep ggplot2's labels
  y <- axis_of(plot_clr_history(callback), "y")
  expect_identical(y$labels, c("0.002", "0.004", "0.006"))
  x <- axis_of(plot_clr_history(callback), "x")
  expect_identical(x$breaks, c(2, 4, 6, 8, 10))
  expect_identical(x$labels, c("2", "4", "6", "8", "10"))
  decay <- new_callback_step_decay(initial_lr = 0.1, step_size = 1)
  replay_epochs(decay, steps_per_epoch = 5, epochs = 3)
  x <- axis_of(plot_lr_history(decay), "x")
  expect_identical(x$breaks, c(1, 2, 3))
  expect_identical(x$labels, c("1", "2", "3"))
})

test_that("a missing ggplot2 gives an error that says how to install it", {
  env <- asNamespace("kerasclr")
  old <- get("ggplot2_installed", env)
  unlockBinding("ggplot2_installed", env)
  assign("ggplot2_installed", function() FALSE, env)
  on.exit({
    assign("ggplot2_installed", old, env)
    lockBinding("ggplot2_installed", env)
  })
  skip_if_no_kerasclr()
  callback <- new_callback_cyclical_learning_rate(verbose = 0)
  error <- expect_error(plot_clr_history(callback),
                        "`backend = \"ggplot2\"` needs the ggplot2 package", fixed = TRUE)
  expect_match(conditionMessage(error), "install.packages(\"ggplot2\")", fixed = TRUE)
  expect_match(conditionMessage(error), "backend = \"base\"", fixed = TRUE)
})

test_that("plotting an untrained callback says to train it first", {
  skip_if_no_kerasclr()
  callback <- new_callback_cyclical_learning_rate(verbose = 0)
  expect_error(plot_clr_history(callback, backend = "base"), "has no history yet")
})

test_that("KerasMisc scripts run unchanged: its argument names, any ggplot2 transformation", {
  expect_identical(names(formals(plot_clr_history)),
                   c("callback_clr", "granularity", "backend", "trans_y_axis"))
  expect_identical(
    names(formals(new_callback_cyclical_learning_rate))[1:12],
    c("base_lr", "max_lr", "step_size", "mode", "gamma", "scale_fn", "scale_mode",
      "patience", "factor", "decrease_base_lr", "cooldown", "verbose")
  )
  skip_if_no_kerasclr()
  skip_if_not_installed("ggplot2")
  callback <- plateau_callback()
  plot <- plot_clr_history(callback_clr = callback, granularity = "iteration",
                           backend = "ggplot2", trans_y_axis = "log2")
  expect_identical(plot$scales$get_scales("y")$trans$name, "log-2")
  expect_identical(plot$labels$y, "learning rate (log2 scale)")
  expect_s3_class(ggplot2::ggplot_build(plot), "ggplot_built")
  plot <- plot_clr_history(callback, trans_y_axis = "sqrt")
  expect_identical(plot$scales$get_scales("y")$trans$name, "sqrt")
  # A transformation object, labelled with its name.
  reverse <- ggplot2::scale_y_continuous(trans = "reverse")$trans
  plot <- plot_clr_history(callback, trans_y_axis = reverse)
  expect_identical(plot$scales$get_scales("y")$trans$name, "reverse")
  expect_identical(plot$labels$y, "learning rate (reverse scale)")
  # With a momentum panel the learning rates are drawn transformed.
  one_cycle <- new_callback_one_cycle(max_lr = 0.1, total_steps = 20)
  replay_epochs(one_cycle, steps_per_epoch = 5, epochs = 4)
  plot <- plot_lr_history(one_cycle, "iteration", trans_y_axis = "sqrt")
  expect_identical(levels(plot$data$panel), c("sqrt(learning rate)", "momentum"))
  expect_equal(plot$data$value[plot$data$series == "lr"], sqrt(one_cycle$history$lr))
})
