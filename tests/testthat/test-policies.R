# One-cycle, SGDR, step decay, cosine decay: R wrappers give the Python
# numbers, R-style argument errors, plots (vdiffr snapshots).

py_policies <- function() kerasclr:::py_core()

test_that("the previews equal the Python previews and hand-computed values", {
  skip_if_no_kerasclr()
  py <- py_policies()
  lr <- one_cycle_schedule(0:9, max_lr = 1, total_steps = 10, div_factor = 10,
                           final_div_factor = 100, dtype = "float64")
  expect_equal(lr[c(1, 2, 3, 10)], c(0.1, 0.55, 1, 0.001), tolerance = 1e-12)
  expect_identical(
    one_cycle_schedule(0:56, max_lr = 0.3, total_steps = 57, three_phase = TRUE,
                       what = "momentum"),
    as.double(py$one_cycle_schedule(0:56, max_lr = 0.3, total_steps = 57L,
                                    three_phase = TRUE, what = "momentum"))
  )
  expect_identical(
    sgdr_schedule(0:39, steps_per_epoch = 4, max_lr = 0.1, min_lr = 0.001,
                  epochs_to_restart = 1, lr_fac = 0.5, lr_reduction_epochs = 4),
    as.double(py$sgdr_schedule(0:39, 4L, max_lr = 0.1, min_lr = 0.001,
                               epochs_to_restart = 1L, lr_fac = 0.5,
                               lr_reduction_epochs = list(4L)))
  )
  expect_equal(step_decay_schedule(0:6, initial_lr = 0.1, decay_factor = 0.5,
                                   step_size = 2, dtype = "float64"),
               c(0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125))
  expect_identical(
    cosine_decay_schedule(0:60, 0, decay_steps = 40, alpha = 0.1,
                          warmup_target = 0.1, warmup_steps = 15),
    as.double(py$cosine_decay_schedule(0:60, 0, 40, 0.1, warmup_target = 0.1,
                                       warmup_steps = 15))
  )
})

test_that("cosine decay gives the numbers of Keras's CosineDecay", {
  skip_if_no_kerasclr()
  keras <- reticulate::import("keras")
  schedule <- keras$optimizers$schedules$CosineDecay(
    0.001, decay_steps = 30L, alpha = 0.05, warmup_target = 0.01, warmup_steps = 10L
  )
  want <- vapply(0:45, function(i) as.double(schedule(i)$numpy()), numeric(1))
  got <- cosine_decay_schedule(0:45, 0.001, decay_steps = 30, alpha = 0.05,
                               warmup_target = 0.01, warmup_steps = 10)
  expect_equal(got, want, tolerance = 2e-6)
})

test_that("callbacks replay exactly the Python numbers, histories as data frames", {
  skip_if_no_kerasclr()
  one_cycle <- new_callback_one_cycle(max_lr = 0.1, epochs = 4, steps_per_epoch = 5)
  expect_s3_class(one_cycle, "kerasclr_callback")
  replay_epochs(one_cycle, steps_per_epoch = 5, epochs = 4)
  history <- one_cycle$history
  expect_identical(names(history),
                   c("iteration", "epoch", "lr", "base_lr", "max_lr", "momentum"))
  expect_identical(history$iteration, 0:19)
  expect_identical(history$epoch, rep(1:4, each = 5))
  expect_identical(history$lr, one_cycle_schedule(0:19, max_lr = 0.1, total_steps = 20))
  expect_identical(history$momentum,
                   one_cycle_schedule(0:19, max_lr = 0.1, total_steps = 20,
                                      what = "momentum"))
  expect_identical(names(one_cycle$history_epoch),
                   c("epoch", "base_lr", "max_lr", "lr", "momentum"))

  sgdr <- new_callback_sgdr(max_lr = 0.1, min_lr = 0.01, epochs_to_restart = 1,
                            mult_factor = 2, lr_decay = 0.5)
  replay_epochs(sgdr, steps_per_epoch = 3, epochs = 7)
  expect_identical(sgdr$history$lr,
                   sgdr_schedule(0:20, 3, max_lr = 0.1, min_lr = 0.01,
                                 epochs_to_restart = 1, mult_factor = 2,
                                 lr_decay = 0.5))
  # restarts after epochs 1 and 3 (periods of 1, 2, 4 epochs)
  expect_equal(sgdr$history_epoch$max_lr, c(0.1, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025))

  decay <- new_callback_step_decay(initial_lr = 0.1, decay_factor = 0.5, step_size = 2)
  replay_epochs(decay, steps_per_epoch = 2, epochs = 5)
  expect_identical(decay$history$lr,
                   rep(step_decay_schedule(0:4, 0.1, 0.5, 2), each = 2))

  cosine <- new_callback_cosine_decay(0.01, decay_steps = 12, warmup_target = 0.1,
                                      warmup_steps = 4)
  replay_epochs(cosine, steps_per_epoch = 5, epochs = 4)
  expect_identical(cosine$history$lr,
                   cosine_decay_schedule(0:19, 0.01, 12, warmup_target = 0.1,
                                         warmup_steps = 4))
})

test_that("argument errors name the argument and the value", {
  expect_error(new_callback_one_cycle(max_lr = 0, total_steps = 10),
               "`max_lr` must be > 0, not 0.", fixed = TRUE)
  expect_error(new_callback_one_cycle(max_lr = 0.1, total_steps = 10, pct_start = 1),
               "`pct_start` must be < 1, not 1.", fixed = TRUE)
  expect_error(new_callback_one_cycle(max_lr = 0.1, total_steps = 10,
                                      anneal_strategy = "exp"),
               "`anneal_strategy` must be one of \"cos\", \"linear\", not \"exp\".",
               fixed = TRUE)
  expect_error(new_callback_one_cycle(max_lr = 0.1),
               "Give `total_steps`, or `epochs`", fixed = TRUE)
  expect_error(new_callback_sgdr(max_lr = 0.1, min_lr = 0.2),
               "`max_lr` must be >= `min_lr` (0.2), not 0.1.", fixed = TRUE)
  expect_error(new_callback_sgdr(lr_reduction_epochs = c(2, 0)),
               "`lr_reduction_epochs` must be NULL or whole numbers >= 1", fixed = TRUE)
  expect_error(new_callback_sgdr(epochs_to_restart = 1.5),
               "`epochs_to_restart` must be a whole number, not 1.5.", fixed = TRUE)
  expect_error(new_callback_step_decay(decay_factor = 2),
               "`decay_factor` must be <= 1, not 2.", fixed = TRUE)
  expect_error(new_callback_step_decay(step_size = 0),
               "`step_size` must be >= 1, not 0.", fixed = TRUE)
  expect_error(new_callback_cosine_decay(0.1, decay_steps = 0),
               "`decay_steps` must be > 0, not 0.", fixed = TRUE)
  expect_error(new_callback_cosine_decay(0.1, 10, alpha = -1),
               "`alpha` must be >= 0, not -1.", fixed = TRUE)
  expect_error(step_decay_schedule(-1), "`epochs` must hold whole numbers >= 0, not -1.",
               fixed = TRUE)
  skip_if_no_kerasclr()
  # checks that only Python can make come back as R errors of the R call
  expect_error(new_callback_one_cycle(max_lr = 0.1, total_steps = 3, pct_start = 0.2),
               "`pct_start` = 0.2 with `total_steps` = 3 gives a phase", fixed = TRUE)
  expect_error(one_cycle_schedule(10, max_lr = 0.1, total_steps = 10),
               "`iterations` must be < total_steps = 10, not 10.", fixed = TRUE)
  cb <- new_callback_step_decay()
  expect_error(plot_lr_history(cb), "This StepDecay has no history yet", fixed = TRUE)
})

test_that("state saved in one session continues in another", {
  skip_if_no_kerasclr()
  path <- tempfile(fileext = ".json")
  once <- new_callback_sgdr(max_lr = 0.1, epochs_to_restart = 2)
  replay_epochs(once, steps_per_epoch = 4, epochs = 6)
  first <- new_callback_sgdr(max_lr = 0.1, epochs_to_restart = 2)
  replay_epochs(first, steps_per_epoch = 4, epochs = 2)
  first$save(path)
  second <- new_callback_sgdr(max_lr = 0.1, epochs_to_restart = 2)
  second$load(path)
  replay_epochs(second, steps_per_epoch = 4, epochs = 4)
  expect_identical(second$history, once$history)
})

policy_callbacks <- function() {
  one_cycle <- new_callback_one_cycle(max_lr = 0.1, total_steps = 60)
  replay_epochs(one_cycle, steps_per_epoch = 10, epochs = 6)
  sgdr <- new_callback_sgdr(max_lr = 0.1, min_lr = 0.005, epochs_to_restart = 1,
                            mult_factor = 2)
  replay_epochs(sgdr, steps_per_epoch = 10, epochs = 7)
  decay <- new_callback_step_decay(initial_lr = 0.1, decay_factor = 0.5, step_size = 2)
  replay_epochs(decay, steps_per_epoch = 10, epochs = 7)
  cosine <- new_callback_cosine_decay(0, decay_steps = 50, alpha = 0.1,
                                      warmup_target = 0.1, warmup_steps = 10)
  replay_epochs(cosine, steps_per_epoch = 10, epochs = 7)
  list(one_cycle = one_cycle, sgdr = sgdr, decay = decay, cosine = cosine)
}

test_that("plot_lr_history draws the Python plot data with both backends", {
  skip_if_no_kerasclr()
  callbacks <- policy_callbacks()
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  data <- expect_invisible(plot_lr_history(callbacks$one_cycle, "iteration",
                                           backend = "base"))
  expect_identical(names(data), c("x", "lr", "base_lr", "max_lr", "momentum"))
  expect_identical(data$lr, callbacks$one_cycle$history$lr)
  data <- plot_lr_history(callbacks$decay, backend = "base", trans_y_axis = "log10")
  expect_identical(data$lr, callbacks$decay$history_epoch$lr)
  expect_error(plot_lr_history(callbacks$cosine, "iteration", backend = "base",
                               trans_y_axis = "log10"),
               "needs learning rates > 0", fixed = TRUE)
  clr <- new_callback_cyclical_learning_rate(step_size = 4, verbose = 0)
  replay_epochs(clr, steps_per_epoch = 5, epochs = 3)
  expect_identical(plot_lr_history(clr, backend = "base"),
                   plot_clr_history(clr, backend = "base"))
  skip_if_not_installed("ggplot2")
  plot <- plot_lr_history(callbacks$one_cycle, granularity = "iteration")
  expect_s3_class(plot, "ggplot")
  expect_identical(levels(plot$data$series), c("lr", "momentum"))
  expect_identical(plot$labels$title, "OneCycle: learning rate by iteration")
  plot <- plot_lr_history(clr)
  expect_identical(levels(plot$data$series), c("max_lr", "lr", "base_lr"))
  expect_error(plot_lr_history(clr, show_bounds = "yes"),
               "`show_bounds` must be TRUE or FALSE, not \"yes\".", fixed = TRUE)
})

test_that("policy plots match their snapshots", {
  skip_if_no_kerasclr()
  skip_if_not_installed("ggplot2")
  skip_if_not_installed("vdiffr")
  callbacks <- policy_callbacks()
  vdiffr::expect_doppelganger("one-cycle ggplot2 iteration",
                              plot_lr_history(callbacks$one_cycle, "iteration"))
  vdiffr::expect_doppelganger("sgdr ggplot2 iteration",
                              plot_lr_history(callbacks$sgdr, "iteration"))
  vdiffr::expect_doppelganger("step-decay ggplot2 epoch log10",
                              plot_lr_history(callbacks$decay, trans_y_axis = "log10"))
  vdiffr::expect_doppelganger("cosine ggplot2 iteration",
                              plot_lr_history(callbacks$cosine, "iteration"))
  vdiffr::expect_doppelganger("one-cycle base iteration", function() {
    plot_lr_history(callbacks$one_cycle, "iteration", backend = "base")
  })
  vdiffr::expect_doppelganger("sgdr base epoch", function() {
    plot_lr_history(callbacks$sgdr, backend = "base", show_bounds = TRUE)
  })
})

test_that("cyclical momentum for the CLR callback (off by default)", {
  skip_if_no_kerasclr()
  clr <- new_callback_cyclical_learning_rate(step_size = 2, verbose = 0)
  replay_epochs(clr, steps_per_epoch = 4, epochs = 2)
  expect_false("momentum" %in% names(clr$history))
  on <- new_callback_cyclical_learning_rate(step_size = 2, verbose = 0,
                                            cycle_momentum = TRUE)
  replay_epochs(on, steps_per_epoch = 4, epochs = 2)
  expect_equal(on$history$momentum, rep(c(0.9, 0.85, 0.8, 0.85), 2), tolerance = 1e-7)
  expect_identical(tail(names(on$history_epoch), 1), "momentum")
  expect_error(new_callback_cyclical_learning_rate(cycle_momentum = TRUE,
                                                   base_momentum = 1),
               "`base_momentum` must be < 1, not 1.", fixed = TRUE)
  expect_error(new_callback_cyclical_learning_rate(cycle_momentum = TRUE,
                                                   base_momentum = 0.95),
               "`max_momentum` must be >= `base_momentum`", fixed = TRUE)
})
