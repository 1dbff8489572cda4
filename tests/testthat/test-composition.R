# Issue 14 from R: sequences of phases, WSD, linear and constant rates,
# plateau control on any policy, TensorBoard and CSV export. Every rate is
# checked against a formula written here.

# -- formulas, independent of the package -------------------------------------------
linear_ref <- function(s, from, to, steps) from + (to - from) * pmin(s / steps, 1)

clr_ref <- function(c, base, top, step) {
  cycle <- floor(1 + c / (2 * step))
  x <- abs(c / step - 2 * cycle + 1)
  base + (top - base) * pmax(0, 1 - x)
}

keras_cosine_ref <- function(s, initial, steps, alpha = 0) {
  s <- pmin(s, steps)
  initial * ((1 - alpha) * (1 + cos(pi * s / steps)) / 2 + alpha)
}

wsd_ref <- function(s, top, total, warmup, decay, shape, first = 0, last = 0) {
  t <- pmin((s - (total - decay)) / decay, 1)
  falling <- switch(shape, linear = 1 - t, cosine = (1 + cos(pi * t)) / 2,
                    "1-sqrt" = 1 - sqrt(pmax(t, 0)))
  ifelse(s < warmup, first + (top - first) * s / warmup,
         ifelse(s < total - decay, top, last + (top - last) * falling))
}

# Warm-up of 20 steps to 0.006, the cyclical band 0.001..0.006 until step 60,
# then a cosine decay to 0 over 30 steps.
warmup_clr_cosine_phases <- function() {
  list(
    new_callback_linear(initial_lr = 0, final_lr = 0.006, steps = 20),
    new_callback_cyclical_learning_rate(base_lr = 0.001, max_lr = 0.006, step_size = 10,
                                        verbose = 0),
    new_callback_cosine_decay(0.006, decay_steps = 30)
  )
}

warmup_clr_cosine <- function() {
  new_callback_sequence(warmup_clr_cosine_phases(), boundaries = c(20, 60))
}

warmup_clr_cosine_ref <- function(s) {
  ifelse(s < 20, linear_ref(s, 0, 0.006, 20),
         ifelse(s < 60, clr_ref(s - 20, 0.001, 0.006, 10),
                keras_cosine_ref(s - 60, 0.006, 30)))
}

# Keras's cosine decay is float32 arithmetic: a few float32 ulps from float64.
expect_rates <- function(object, expected, label = NULL) {
  expect_close(object, expected, rtol = 1e-6, atol = 1e-9, label = label)
}

# -- previews and replays against the formulas ----------------------------------------
test_that("linear, constant and WSD give their formulas", {
  skip_if_no_kerasclr()
  s <- 0:24
  expect_rates(linear_schedule(s, initial_lr = 0.01, final_lr = 0.002, steps = 16),
               linear_ref(s, 0.01, 0.002, 16))
  expect_identical(linear_schedule(s, 0.01, 0.002, 16, dtype = "float64"),
                   linear_ref(s, 0.01, 0.002, 16))
  for (shape in c("linear", "cosine", "1-sqrt")) {
    s <- 0:109
    expect_rates(
      wsd_schedule(s, max_lr = 0.01, total_steps = 100, warmup_steps = 10,
                   decay_steps = 30, decay_shape = shape, initial_lr = 0.001,
                   final_lr = 1e-4),
      wsd_ref(s, 0.01, 100, 10, 30, shape, first = 0.001, last = 1e-4),
      label = shape
    )
  }
  # fractions of the total, rounded to whole steps: 0.05 * 90 = 4.5 -> 4 (Python's round)
  expect_rates(wsd_schedule(0:89, 0.01, total_steps = 90, warmup_fraction = 0.05,
                            decay_fraction = 0.25, decay_shape = "cosine"),
               wsd_ref(0:89, 0.01, 90, 4, 22, "cosine"))

  linear <- new_callback_linear(0.01, 0.002, steps = 16)
  replay_epochs(linear, steps_per_epoch = 5, epochs = 5)
  expect_identical(linear$history$lr, linear_schedule(0:24, 0.01, 0.002, 16))
  expect_identical(unique(linear$history$base_lr), 0.002)
  expect_identical(unique(linear$history$max_lr), 0.01)

  constant <- new_callback_constant(0.05)
  replay_epochs(constant, steps_per_epoch = 4, epochs = 2)
  expect_identical(names(constant$history), c("iteration", "epoch", "lr", "base_lr", "max_lr"))
  expect_rates(constant$history$lr, rep(0.05, 8))
})

test_that("WSD takes its length from the (replayed) fit and keeps it", {
  skip_if_no_kerasclr()
  wsd <- new_callback_wsd(max_lr = 0.01, warmup_fraction = 0.1, decay_fraction = 0.3,
                          decay_shape = "1-sqrt")
  replay_epochs(wsd, steps_per_epoch = 10, epochs = 5)
  expect_identical(wsd$phases, list(5L, 15L, 50L))
  expect_rates(wsd$history$lr, wsd_ref(0:49, 0.01, 50, 5, 15, "1-sqrt"))
  # a second run continues the same schedule (at its end: final_lr)
  replay_epochs(wsd, steps_per_epoch = 10, epochs = 1)
  expect_identical(wsd$history$lr[51:60], rep(0, 10))
})

test_that("a sequence previews and replays the formulas of its phases", {
  skip_if_no_kerasclr()
  s <- 0:99
  preview <- sequence_schedule(s, warmup_clr_cosine_phases(), boundaries = c(20, 60))
  expect_rates(preview, warmup_clr_cosine_ref(s))

  sequence <- warmup_clr_cosine()
  expect_s3_class(sequence, "kerasclr_callback")
  replay_epochs(sequence, steps_per_epoch = 10, epochs = 10)
  history <- sequence$history
  expect_identical(history$iteration, 0:99)
  expect_identical(history$lr, preview)
  # the bounds are those of the phase each step belongs to
  expect_identical(history$base_lr[c(1, 21, 61)], c(0, 0.001, 0))
  expect_identical(history$max_lr[c(1, 21, 61)], c(0.006, 0.006, 0.006))

  # numbers as constant phases; a numeric vector of phases is a list of numbers
  expect_rates(sequence_schedule(0:5, c(0.1, 0.2, 0.3), boundaries = c(2, 4)),
               c(0.1, 0.1, 0.2, 0.2, 0.3, 0.3))
})

test_that("boundaries in epochs, and epoch phases count from their first epoch", {
  skip_if_no_kerasclr()
  decay <- function() new_callback_step_decay(0.1, decay_factor = 0.5, step_size = 1)
  sequence <- new_callback_sequence(list(0.02, decay()), boundaries = 2, unit = "epochs")
  replay_epochs(sequence, steps_per_epoch = 3, epochs = 5)
  want <- rep(c(0.02, 0.02, 0.1, 0.05, 0.025), each = 3)
  expect_rates(sequence$history$lr, want)
  expect_identical(sequence_schedule(0:14, list(0.02, decay()), 2, unit = "epochs",
                                     steps_per_epoch = 3),
                   sequence$history$lr)
  # a step boundary inside epoch 3 (0-based 2): the decay's epoch 0 is that epoch
  s <- 0:9
  expect_rates(sequence_schedule(s, list(0.2, decay()), boundaries = 5, steps_per_epoch = 2),
               ifelse(s < 5, 0.2, 0.1 * 0.5^(s %/% 2 - 5 %/% 2)))
})

test_that("a previewed phase still takes its length from fit()", {
  skip_if_no_kerasclr()
  wsd <- new_callback_wsd(0.01, decay_fraction = 0.5)
  preview <- sequence_schedule(0:29, list(0.001, wsd), boundaries = 10)
  expect_rates(preview, c(rep(0.001, 10), wsd_ref(0:19, 0.01, 20, 0, 10, "linear")))
  expect_null(wsd$phases)
  sequence <- new_callback_sequence(list(0.001, wsd), boundaries = 10)
  replay_epochs(sequence, steps_per_epoch = 10, epochs = 10)
  expect_rates(sequence$history$lr, c(rep(0.001, 10), wsd_ref(0:89, 0.01, 90, 0, 45, "linear")))
})

# -- plateau control ----------------------------------------------------------------------
test_that("plateau control of a sequence scales every phase, floored at min_lr", {
  skip_if_no_kerasclr()
  sequence <- new_callback_sequence(
    list(new_callback_linear(0.01, 0.002, steps = 40), 0.002), boundaries = 40,
    plateau = plateau_control(patience = 0, factor = 0.5, cooldown = 0, min_lr = 0.003)
  )
  replay_epochs(sequence, steps_per_epoch = 10, val_loss = c(1, 2, 3, 0.5, 0.6))
  epochs <- sequence$history_epoch
  expect_identical(epochs$not_improved_for_n_times, c(0L, 1L, 2L, 0L, 1L))
  s <- 0:49
  raw <- ifelse(s < 40, linear_ref(s, 0.01, 0.002, 40), 0.002)
  reductions <- rep(c(0, 0, 1, 2, 2), each = 10)  # decided at the end of epochs 2, 3
  expect_rates(sequence$history$lr, pmax(raw * 0.5^reductions, pmin(raw, 0.003)))
})

test_that("plateau control inside a phase acts while that phase runs", {
  skip_if_no_kerasclr()
  losses <- c(5, 4, 4.5, 4.6, 4.7, 4.8, 4.9, 5)
  clr <- function() {
    new_callback_cyclical_learning_rate(0.001, 0.005, step_size = 4, patience = 1,
                                        factor = 0.5, cooldown = 0, verbose = 0)
  }
  sequence <- new_callback_sequence(list(0.01, clr()), boundaries = 2, unit = "epochs")
  replay_epochs(sequence, steps_per_epoch = 4, val_loss = losses)
  alone <- clr()
  replay_epochs(alone, steps_per_epoch = 4, val_loss = losses[3:8])
  expect_rates(sequence$history$lr[1:8], rep(0.01, 8))
  expect_identical(sequence$history$lr[9:32], alone$history$lr)
  expect_identical(sequence$history_epoch$base_lr[3:8], alone$history_epoch$base_lr)
  expect_true(any(diff(alone$history_epoch$base_lr) < 0))  # the band did shrink

  # any logged value, "max" mode, on a constant rate
  constant <- new_callback_constant(0.1, plateau = plateau_control(
    monitor = "val_loss", mode = "max", patience = 0, factor = 0.1, cooldown = 0))
  replay_epochs(constant, steps_per_epoch = 2, val_loss = c(0.5, 0.7, 0.6, 0.8))
  expect_identical(constant$history_epoch$not_improved_for_n_times, c(0L, 0L, 1L, 0L))
  expect_rates(constant$history$lr, c(rep(0.1, 6), 0.01, 0.01))
})

# -- errors in R terms ----------------------------------------------------------------------
test_that("errors name the argument and the value in R terms", {
  skip_if_no_kerasclr()
  expect_error(new_callback_sequence(list(0.1, 0.2, 0.3), boundaries = c(5, 5)),
               "`boundaries` must be strictly increasing, not c(5, 5).", fixed = TRUE)
  expect_error(new_callback_sequence(list(0.1, 0.2, 0.3), boundaries = c(50, 7.5)),
               "`boundaries` must hold whole numbers >= 1, not c(50, 7.5).", fixed = TRUE)
  expect_error(new_callback_sequence(list(0.1, 0.2), boundaries = c(1, 2)),
               "`boundaries` must hold one number fewer than `phases`: 2 phases need 1, got 2.",
               fixed = TRUE)
  expect_error(new_callback_sequence(list(0.1, 0.2), boundaries = NULL),
               "`boundaries` must be a numeric vector of whole numbers, not NULL.", fixed = TRUE)
  expect_error(new_callback_sequence(list(0.1, "fast"), boundaries = 3),
               "`phases` must be kerasclr callbacks or numbers, not \"fast\" (phase 2).",
               fixed = TRUE)
  expect_error(new_callback_sequence(list(0.1, -1), boundaries = 3),
               "`phases` must be kerasclr callbacks or numbers (finite, >= 0), not -1 (phase 2).",
               fixed = TRUE)
  expect_error(new_callback_sequence(new_callback_constant(0.1), boundaries = 3),
               paste("`phases` must be a non-empty list of kerasclr callbacks or numbers,",
                     "not a kerasclr callback."), fixed = TRUE)
  expect_error(new_callback_sequence(list(), boundaries = 3),
               "`phases` must be a non-empty list of kerasclr callbacks or numbers, not an empty list.",
               fixed = TRUE)
  expect_error(new_callback_sequence(list(0.1, 0.2), 3, unit = "batches"),
               "`unit` must be one of \"steps\", \"epochs\", not \"batches\".", fixed = TRUE)
  expect_error(
    sequence_schedule(0:9, list(0.1, 0.2), 5, unit = "epochs"),
    paste("`steps_per_epoch` must be a whole number >= 1 (batches per epoch) when the",
          "boundaries are in epochs or a phase counts epochs, not NULL."),
    fixed = TRUE
  )
  expect_error(new_callback_wsd(0.01, total_steps = 100, warmup_steps = 60, decay_steps = 50),
               paste("new_callback_wsd(): the warm-up (60 steps) and the decay (50 steps)",
                     "are longer than the whole schedule (100 steps)."), fixed = TRUE)
  expect_error(new_callback_wsd(0.01, decay_shape = "exp"),
               "`decay_shape` must be one of \"linear\", \"cosine\", \"1-sqrt\", not \"exp\".",
               fixed = TRUE)
  expect_error(new_callback_wsd(0.01, warmup_fraction = 1),
               "`warmup_fraction` must be < 1, not 1.", fixed = TRUE)
  expect_error(new_callback_wsd(0.01, total_steps = NA),
               "`total_steps` must be a finite number, not NA.", fixed = TRUE)
  expect_error(new_callback_linear(0, 0.1, steps = 0), "`steps` must be >= 1, not 0.",
               fixed = TRUE)
  expect_error(new_callback_constant(-1), "`lr` must be >= 0, not -1.", fixed = TRUE)
  expect_error(new_callback_constant(0.1, plateau = 0.5),
               "`plateau` must be a plateau_control() or NULL, not 0.5.", fixed = TRUE)
  error <- expect_error(wsd_schedule(0:3, 0.01),
                        "argument \"total_steps\" is missing, with no default", fixed = TRUE)
  expect_identical(as.character(conditionCall(error)[[1]]), "wsd_schedule")
  error <- expect_error(new_callback_sequence(list(0.1, 0.2), boundaries = c(3, 3)))
  expect_identical(as.character(conditionCall(error)[[1]]), "new_callback_sequence")
  expect_no_match(conditionMessage(error), "Python|Traceback|py_last_error")
})

# -- state -----------------------------------------------------------------------------------
test_that("a restored sequence resumes exactly across a boundary", {
  skip_if_no_kerasclr()
  whole <- warmup_clr_cosine()
  replay_epochs(whole, steps_per_epoch = 8, epochs = 12)

  first <- warmup_clr_cosine()
  replay_epochs(first, steps_per_epoch = 8, epochs = 2)   # 16 steps: in the warm-up
  path <- tempfile(fileext = ".json")
  on.exit(unlink(path), add = TRUE)
  save_clr_state(first, path)
  resumed <- load_clr_state(warmup_clr_cosine(), path)
  replay_epochs(resumed, steps_per_epoch = 8, epochs = 10)  # across steps 20 and 60
  expect_identical(resumed$history, whole$history)
  expect_identical(resumed$history_epoch, whole$history_epoch)
  expect_rates(resumed$history$lr, warmup_clr_cosine_ref(0:95))

  # a WSD whose length came from the first fit keeps it after a restore
  wsd <- function() new_callback_wsd(0.01, warmup_steps = 4, decay_fraction = 0.5)
  whole <- wsd()
  replay_epochs(whole, steps_per_epoch = 4, epochs = 6)
  replay_epochs(whole, steps_per_epoch = 4, epochs = 2)
  first <- wsd()
  replay_epochs(first, steps_per_epoch = 4, epochs = 6)
  save_clr_state(first, path)
  resumed <- load_clr_state(wsd(), path)
  expect_identical(resumed$phases, list(4L, 12L, 24L))
  replay_epochs(resumed, steps_per_epoch = 4, epochs = 2)  # not a WSD of 8 steps
  expect_identical(resumed$history, whole$history)
  expect_rates(resumed$history$lr, c(wsd_ref(0:23, 0.01, 24, 4, 12, "linear"), rep(0, 8)))
})

# -- in a Keras fit through reticulate ---------------------------------------------------------
# warmup_clr_cosine() trained through reticulate's Keras for `epochs` epochs of
# 13 batches of one row (`...`: more arguments of fit()).
fit_warmup_clr_cosine <- function(epochs, ...) {
  keras <- reticulate::import("keras")
  data <- regression_data(13)
  model <- tiny_model(keras)
  sequence <- warmup_clr_cosine()
  model$fit(data$x, data$y, batch_size = 1L, epochs = as.integer(epochs), shuffle = FALSE,
            verbose = 0L, callbacks = list(sequence), ...)
  list(sequence = sequence, keras = keras, model = model, data = data)
}

test_that("a sequence and a WSD train through reticulate's Keras with their formulas", {
  skip_if_no_kerasclr()
  run <- fit_warmup_clr_cosine(6)
  sequence <- run$sequence
  expect_identical(sequence$history$iteration, 0:77)
  expect_identical(sequence$history$epoch, rep(1:6, each = 13))
  expect_rates(sequence$history$lr, warmup_clr_cosine_ref(0:77))
  expect_identical(sequence$history$lr,
                   sequence_schedule(0:77, warmup_clr_cosine_phases(), c(20, 60)))
  # afterwards the optimizer holds the rate of the next step
  next_lr <- as.double(run$keras$ops$convert_to_numpy(run$model$optimizer$learning_rate))
  expect_rates(next_lr, warmup_clr_cosine_ref(78))
  expect_identical(nrow(sequence$history_epoch), 6L)
  expect_identical(names(sequence$history_epoch)[1:2], c("loss", "epoch"))

  # WSD: 4 epochs of 13 batches = 52 steps; warm-up round(5.2) = 5, decay round(15.6) = 16
  wsd <- new_callback_wsd(0.01, warmup_fraction = 0.1, decay_fraction = 0.3,
                          decay_shape = "cosine")
  run$model$fit(run$data$x, run$data$y, batch_size = 1L, epochs = 4L, shuffle = FALSE,
                verbose = 0L, callbacks = list(wsd))
  expect_identical(wsd$phases, list(5L, 16L, 52L))
  expect_rates(wsd$history$lr, wsd_ref(0:51, 0.01, 52, 5, 16, "cosine"))
})

test_that("a WSD without a length in a fit that cannot tell one is an R error", {
  skip_if_no_kerasclr()
  keras <- reticulate::import("keras")
  main <- reticulate::py_run_string(paste(
    "def endless_batches(x, y):",
    "    while True:",
    "        yield x[:1], y[:1]",
    sep = "\n"), convert = FALSE)
  data <- regression_data(4)
  model <- tiny_model(keras)
  error <- expect_error(
    model$fit(main$endless_batches(data$x, data$y), epochs = 1L, shuffle = FALSE,
              verbose = 0L, callbacks = list(new_callback_wsd(0.01))),
    paste("new_callback_wsd(): `total_steps` is not given and fit() does not know the",
          "number of batches per epoch"),
    fixed = TRUE
  )
  expect_no_match(conditionMessage(error), "Traceback|File \"")
})

# -- TensorBoard and CSV ------------------------------------------------------------------------
# The scalars of the event files in `folder`, read by TensorFlow's own reader:
# a data frame with tag, step and value.
read_scalars <- function(folder) {
  tf <- reticulate::import("tensorflow", convert = FALSE)
  builtins <- reticulate::import_builtins(convert = FALSE)
  rows <- list()
  for (path in list.files(folder, full.names = TRUE)) {
    reticulate::iterate(tf$compat$v1$train$summary_iterator(path), function(event) {
      reticulate::iterate(builtins$iter(event$summary$value), function(value) {
        rows[[length(rows) + 1L]] <<- data.frame(
          tag = reticulate::py_to_r(value$tag),
          step = as.integer(reticulate::py_to_r(event$step)),
          value = as.double(reticulate::py_to_r(tf$make_ndarray(value$tensor)))
        )
      })
    })
  }
  do.call(rbind, rows)
}

test_that("a TensorBoardRates callback prints what it writes, where, and its policy", {
  skip_if_no_kerasclr()
  wsd <- new_callback_wsd(max_lr = 0.01, total_steps = 100, warmup_steps = 10)
  log_dir <- file.path(tempfile("tensorboard"), "logs")
  rates <- new_callback_tensorboard_rates(wsd, log_dir)
  expect_s3_class(rates, "kerasclr_tensorboard_rates")
  expect_s3_class(rates, "keras.src.callbacks.callback.Callback")
  expected <- paste0("<TensorBoardRates scalars=kerasclr/lr log_dir=",
                     encodeString(log_dir, quote = "\""), " rows_written=0 policy=",
                     format(wsd), ">")
  expect_identical(format(rates), expected)
  expect_identical(capture.output(expect_invisible(print(rates))), expected)
  expect_identical(capture.output(rates), expected)
  expect_identical(capture.output(str(rates)), expected)
  one_cycle <- new_callback_one_cycle(max_lr = 0.1, total_steps = 24)
  expect_match(format(new_callback_tensorboard_rates(one_cycle, log_dir, prefix = "oc/")),
               "^<TensorBoardRates scalars=oc/lr,oc/momentum log_dir=.* policy=<OneCycle ")
  # It is no policy callback: refused as one, in R terms.
  expect_error(save_clr_state(rates, tempfile()), "not a TensorBoardRates callback.",
               fixed = TRUE)
})

test_that("TensorBoard gets every applied rate at its step, from R", {
  skip_if_no_kerasclr()
  skip_if_not(reticulate::py_module_available("tensorflow"), "needs TensorFlow")
  skip_if(Sys.getenv("KERAS_BACKEND") == "torch", "torch runs one step per execution")
  keras <- reticulate::import("keras")
  data <- regression_data(12)
  model <- tiny_model(keras)
  model$compile(optimizer = keras$optimizers$SGD(0.01), loss = "mse",
                steps_per_execution = 4L)
  sequence <- new_callback_sequence(
    list(new_callback_linear(0, 0.01, steps = 10),
         new_callback_wsd(0.01, decay_fraction = 0.5)),
    boundaries = 10
  )
  log_dir <- file.path(tempfile("tensorboard"), "logs")
  rates <- new_callback_tensorboard_rates(sequence, log_dir)
  model$fit(data$x, data$y, batch_size = 1L, epochs = 3L, shuffle = FALSE, verbose = 0L,
            callbacks = list(sequence, rates))
  expect_match(format(rates), " rows_written=36 ", fixed = TRUE)
  scalars <- read_scalars(file.path(log_dir, "train"))
  expect_identical(unique(scalars$tag), "kerasclr/lr")
  expect_identical(scalars$step, 0:35)
  expect_identical(scalars$value, sequence$history$lr)
  expect_rates(scalars$value, c(linear_ref(0:9, 0, 0.01, 10),
                                wsd_ref(0:25, 0.01, 26, 0, 13, "linear")))

  # momentum too, under another prefix
  model$compile(optimizer = keras$optimizers$SGD(0.01, momentum = 0.9), loss = "mse")
  one_cycle <- new_callback_one_cycle(max_lr = 0.1, total_steps = 24)
  log_dir <- tempfile("tensorboard")
  model$fit(data$x, data$y, batch_size = 1L, epochs = 2L, shuffle = FALSE, verbose = 0L,
            callbacks = list(one_cycle,
                             new_callback_tensorboard_rates(one_cycle, log_dir, prefix = "oc/")))
  scalars <- read_scalars(file.path(log_dir, "train"))
  expect_identical(scalars$value[scalars$tag == "oc/lr"], one_cycle$history$lr)
  expect_identical(scalars$value[scalars$tag == "oc/momentum"], one_cycle$history$momentum)
  expect_identical(scalars$step[scalars$tag == "oc/momentum"], 0:23)

  expect_error(new_callback_tensorboard_rates(list(), log_dir),
               "`callback` must be a kerasclr callback", fixed = TRUE)
  expect_error(new_callback_tensorboard_rates(one_cycle, c("a", "b")),
               "`log_dir` must be a single file path, not a character vector of length 2.",
               fixed = TRUE)
  expect_error(new_callback_tensorboard_rates(one_cycle, log_dir, prefix = NA),
               "`prefix` must be a single string, not NA.", fixed = TRUE)
})

test_that("history tables written as CSV read back exactly with read.csv", {
  skip_if_no_kerasclr()
  # a fit's tables: logs, integer and float32 columns
  data <- regression_data(13)
  sequence <- fit_warmup_clr_cosine(3, validation_data = list(data$x, data$y))$sequence
  path <- tempfile(fileext = ".csv")
  on.exit(unlink(path), add = TRUE)
  expect_identical(expect_invisible(write_lr_history_csv(sequence, path)), path)
  expect_identical(read.csv(path), sequence$history)
  write_lr_history_csv(sequence, path, table = "history_epoch")
  expect_identical(read.csv(path), sequence$history_epoch)

  # logical columns, counts and a NaN validation loss
  clr <- new_callback_cyclical_learning_rate(step_size = 7, mode = "exp_range", gamma = 0.99,
                                             patience = 0, factor = 0.7, verbose = 0)
  replay_epochs(clr, steps_per_epoch = 13, val_loss = c(3, 2.5, 2.6, NaN, 1 / 3))
  write_lr_history_csv(clr, path, table = "history_epoch")
  back <- read.csv(path)
  expect_identical(back, clr$history_epoch)
  expect_identical(back$in_cooldown, c(FALSE, FALSE, FALSE, TRUE, TRUE))
  expect_identical(back$val_loss[[4]], NaN)
  # a float column of whole numbers stays a double column
  wsd <- new_callback_wsd(0.005, warmup_fraction = 0.1)
  replay_epochs(wsd, steps_per_epoch = 13, epochs = 10)
  write_lr_history_csv(wsd, path)
  expect_identical(read.csv(path), wsd$history)
  expect_identical(readLines(path, n = 2)[[2]], "0,1,0.0,0.0,0.0050000000000000001")

  expect_error(write_lr_history_csv(clr, path, table = "epochs"),
               "`table` must be one of \"history\", \"history_epoch\", not \"epochs\".",
               fixed = TRUE)
  expect_error(write_lr_history_csv(clr, NULL),
               "`path` must be a single file path, not NULL.", fixed = TRUE)
  missing_dir <- file.path(tempfile("missing"), "history.csv")
  expect_error(write_lr_history_csv(clr, missing_dir),
               paste0("Cannot write \"", missing_dir, "\""), fixed = TRUE)
})

# -- plots ----------------------------------------------------------------------------------------
test_that("sequence and WSD plots match their snapshots", {
  skip_if_no_kerasclr()
  skip_if_not_installed("ggplot2")
  skip_if_not_installed("vdiffr")
  sequence <- warmup_clr_cosine()
  replay_epochs(sequence, steps_per_epoch = 10, epochs = 10)
  wsd <- new_callback_wsd(0.01, warmup_fraction = 0.1, decay_fraction = 0.3,
                          decay_shape = "1-sqrt", initial_lr = 0.001)
  replay_epochs(wsd, steps_per_epoch = 10, epochs = 10)
  plot <- plot_lr_history(sequence, "iteration")
  expect_identical(plot$labels$title, "Sequence: learning rate by iteration")
  vdiffr::expect_doppelganger("sequence ggplot2 iteration", plot)
  vdiffr::expect_doppelganger("sequence base iteration bounds", function() {
    plot_lr_history(sequence, "iteration", backend = "base", show_bounds = TRUE)
  })
  vdiffr::expect_doppelganger("wsd ggplot2 iteration", plot_lr_history(wsd, "iteration"))
  vdiffr::expect_doppelganger("wsd base epoch", function() {
    plot_lr_history(wsd, backend = "base")
  })
})
