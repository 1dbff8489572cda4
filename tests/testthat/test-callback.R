test_that("every golden case gives the golden histories (replay)", {
  skip_if_no_kerasclr()
  golden <- read_golden()
  for (case in golden$cases) {
    callback <- run_golden_case(case)
    expect_table_equal(callback$history, case$history,
                       label = paste(case$name, "history"))
    expect_table_equal(callback$history_epoch, case$history_epoch,
                       label = paste(case$name, "history_epoch"))
  }
})

test_that("the golden cases cover every mode, R scale functions, reset and plateaus", {
  golden <- read_golden()
  names <- vapply(golden$cases, function(case) case$name, character(1))
  expect_true(all(c("worked_example", "triangular2", "exp_range_demo",
                    "custom_sine_cycle", "custom_decay_iteration", "reset",
                    "plateau_demo", "plateau_keep_base") %in% names))
})

test_that("$history and $history_epoch are plain data frames with typed columns", {
  skip_if_no_kerasclr()
  callback <- new_callback_cyclical_learning_rate(step_size = 6, patience = 1,
                                                  verbose = 0)
  empty <- callback$history
  expect_identical(names(empty), c("iteration", "epoch", "lr", "base_lr", "max_lr"))
  expect_identical(nrow(empty), 0L)
  replay_epochs(callback, steps_per_epoch = 13, val_loss = c(2, 3, 4))
  history <- callback$history
  expect_identical(class(history), "data.frame")
  expect_identical(attributes(history)$row.names, seq_len(39))
  expect_identical(names(attributes(history)), c("names", "class", "row.names"))
  expect_identical(vapply(history, typeof, character(1)),
                   c(iteration = "integer", epoch = "integer", lr = "double",
                     base_lr = "double", max_lr = "double"))
  expect_identical(history$iteration, 0:38)
  expect_identical(history$epoch, rep(1:3, each = 13))
  epochs <- callback$history_epoch
  expect_identical(class(epochs), "data.frame")
  expect_identical(
    vapply(epochs, typeof, character(1)),
    c(val_loss = "double", epoch = "integer", not_improved_for_n_times = "integer",
      base_lr = "double", max_lr = "double", lr = "double", in_cooldown = "logical")
  )
  expect_identical(epochs$epoch, 1:3)
  expect_identical(epochs$not_improved_for_n_times, c(0L, 1L, 2L))
  expect_identical(epochs$in_cooldown, c(FALSE, FALSE, FALSE))
  expect_identical(callback$base_lr, 0.001 * 0.9)
  # [[ ]] converts the same way; other names reach the Python object.
  expect_identical(callback[["history_epoch"]], epochs)
  expect_identical(callback$step_size, 6)
  expect_identical(callback$mode, "triangular")
})

test_that("a misspelt field is an R error that names it and lists the fields", {
  skip_if_no_kerasclr()
  callback <- new_callback_step_decay(initial_lr = 0.1, step_size = 2)
  error <- expect_error(callback$histroy, class = "kerasclr_error")
  expect_identical(conditionMessage(error), paste0(
    "`histroy` is not a field of this StepDecay callback. Did you mean `history`? ",
    "Its fields are `history`, `history_epoch` and its arguments (initial_lr, ",
    "decay_factor, step_size, verbose); `names(callback)` lists every Python ",
    "attribute and method."
  ))
  expect_identical(conditionCall(error), quote(callback$histroy))
  error <- expect_error(callback[["history_epok"]], class = "kerasclr_error")
  expect_match(conditionMessage(error),
               "^`history_epok` is not a field of this StepDecay callback\\. Did you mean `history_epoch`\\?")
  expect_identical(conditionCall(error), quote(callback[["history_epok"]]))
  clr <- new_callback_cyclical_learning_rate(step_size = 4, verbose = 0)
  error <- expect_error(clr$no_such_field, class = "kerasclr_error")
  expect_match(conditionMessage(error), paste0(
    "^`no_such_field` is not a field of this CyclicLR callback\\. Its fields are ",
    "`history`, `history_epoch` and its arguments \\(base_lr, max_lr, step_size, mode, "
  ))
  expect_no_match(conditionMessage(error), "AttributeError|py_last_error|Traceback")
  # Fields, methods and Keras's own attributes reach the Python object as before.
  expect_identical(clr$step_size, 4)
  expect_null(clr$model)
  expect_true(is.function(clr$save))
  path <- tempfile(fileext = ".json")
  on.exit(unlink(path), add = TRUE)
  clr$save(path)
  expect_true(file.exists(path))
  replay_epochs(clr, steps_per_epoch = 5, epochs = 1)
  expect_identical(nrow(clr$history), 5L)
  expect_identical(clr[["history_epoch"]]$epoch, 1L)
  expect_true("history" %in% names(clr))
})

test_that("the callback is the Python object with an R class and one-line print", {
  skip_if_no_kerasclr()
  callback <- new_callback_cyclical_learning_rate(
    step_size = 32, base_lr = 0.001, max_lr = 0.006, gamma = 0.99,
    mode = "exp_range", verbose = 0
  )
  expect_s3_class(callback, "kerasclr_callback")
  expect_s3_class(callback, "keras.src.callbacks.callback.Callback")
  expect_s3_class(callback, "python.builtin.object")
  expect_identical(reticulate::py_id(reticulate::r_to_py(callback)),
                   reticulate::py_id(callback))
  expect_output(print(callback),
                "^<CyclicLR exp_range base_lr=0.001 max_lr=0.006 step_size=32 iterations=0 epochs=0>$")
  expect_output(expect_invisible(print(callback)))
  replay_epochs(callback, 13, epochs = 2)
  expect_identical(format(callback),
                   "<CyclicLR exp_range base_lr=0.001 max_lr=0.006 step_size=32 iterations=26 epochs=2>")
})

test_that("arguments keep the README's defaults and accept integers and Inf", {
  skip_if_no_kerasclr()
  callback <- new_callback_cyclical_learning_rate()
  config <- callback$get_config()
  expect_identical(config[c("base_lr", "max_lr", "step_size", "mode", "gamma",
                            "scale_mode", "patience", "factor", "decrease_base_lr",
                            "cooldown", "verbose")],
                   list(base_lr = 0.001, max_lr = 0.006, step_size = 2000,
                        mode = "triangular", gamma = 1, scale_mode = "cycle",
                        patience = Inf, factor = 0.9, decrease_base_lr = TRUE,
                        cooldown = 2L, verbose = 1L))
  callback <- new_callback_cyclical_learning_rate(step_size = 10L, patience = 3L,
                                                  cooldown = 0L, verbose = FALSE,
                                                  scale_mode = "iterations")
  expect_identical(callback$patience, 3L)
  expect_identical(callback$step_size, 10)
  expect_identical(callback$verbose, 0L)
  expect_identical(callback$scale_mode, "iteration")
})

test_that("an R scale_fn is called with one number at a time, in both scale modes", {
  skip_if_no_kerasclr()
  seen <- list()
  scale <- function(x) {
    seen[[length(seen) + 1L]] <<- x
    golden_scale_fns$sine(x)
  }
  callback <- new_callback_cyclical_learning_rate(step_size = 4, scale_fn = scale,
                                                  verbose = 0)
  replay_epochs(callback, steps_per_epoch = 8, epochs = 2)
  expect_true(length(seen) > 0)
  expect_true(all(vapply(seen, length, integer(1)) == 1L))
  expect_true(all(vapply(seen, is.double, logical(1))))
  # "cycle": evaluated on cycle numbers (whole numbers from 1; the engine
  # fills its table ahead, so later cycles are evaluated too).
  cycles <- unlist(seen)
  expect_true(all(c(1, 2, 3) %in% cycles))
  expect_true(all(cycles >= 1 & cycles == round(cycles)))
  seen <- list()
  callback <- new_callback_cyclical_learning_rate(step_size = 4, scale_fn = scale,
                                                  scale_mode = "iteration",
                                                  verbose = 0)
  replay_epochs(callback, steps_per_epoch = 8, epochs = 1)
  expect_true(all(vapply(seen, length, integer(1)) == 1L))
  expect_true(all(0:8 %in% unlist(seen)))
})

test_that("a bad R scale_fn gives a readable error", {
  skip_if_no_kerasclr()
  # scale_fn is called once when the callback is made: a function that
  # breaks its rule fails there, not inside fit()
  expect_error(new_callback_cyclical_learning_rate(step_size = 4,
                                                   scale_fn = function(x) c(1, 1),
                                                   verbose = 0),
               "`scale_fn` must return one number, not a double vector of length 2 for 1.",
               fixed = TRUE)
  expect_error(new_callback_cyclical_learning_rate(step_size = 4,
                                                   scale_fn = function(x) 2,
                                                   verbose = 0),
               "`scale_fn` must return a number in [0, 1], not 2 for cycle 1.",
               fixed = TRUE)
  # one that fails later fails when the table reaches it
  callback <- new_callback_cyclical_learning_rate(
    step_size = 4, verbose = 0,
    scale_fn = function(x) if (x > 1) stop("no scale") else 1
  )
  error <- expect_error(replay_epochs(callback, 8, epochs = 2), "no scale")
  expect_false(grepl("Traceback|traceback", conditionMessage(error)))
})

test_that("reset restarts the cycle with new bounds and keeps the history", {
  skip_if_no_kerasclr()
  callback <- new_callback_cyclical_learning_rate(step_size = 6, verbose = 0)
  replay_epochs(callback, 13, epochs = 1)
  expect_identical(
    reset_cyclical_learning_rate(callback, new_base_lr = 0.0005, new_max_lr = 0.003,
                                 new_step_size = 4),
    callback
  )
  expect_invisible(reset_cyclical_learning_rate(callback))
  replay_epochs(callback, 13, epochs = 1)
  history <- callback$history
  expect_identical(nrow(history), 26L)
  expect_close(history$lr[14:18], c(0.0005, 0.001125, 0.00175, 0.002375, 0.003))
  expect_identical(callback$base_lr, 0.0005)
  # Only the bounds given change.
  reset_cyclical_learning_rate(callback, new_max_lr = 0.004)
  expect_identical(c(callback$base_lr, callback$max_lr, callback$step_size),
                   c(0.0005, 0.004, 4))
})

test_that("a plateau replay with injected val_loss shrinks the band", {
  skip_if_no_kerasclr()
  callback <- new_callback_cyclical_learning_rate(
    base_lr = 0.002, max_lr = 0.01, step_size = 5, patience = 1, factor = 0.5,
    cooldown = 1, verbose = 1
  )
  expect_output(
    replay_epochs(callback, 4, val_loss = c(5, 4, 4.5, 4.6, 4.7, 4.8)),
    "reducing the band to base_lr=0.001, max_lr=0.005"
  )
  epochs <- callback$history_epoch
  expect_identical(epochs$not_improved_for_n_times, c(0L, 0L, 1L, 2L, 3L, 4L))
  expect_identical(epochs$in_cooldown, c(FALSE, FALSE, FALSE, FALSE, TRUE, FALSE))
  expect_close(epochs$base_lr, c(0.002, 0.002, 0.002, 0.002, 0.001, 0.001))
  expect_close(epochs$max_lr, c(0.01, 0.01, 0.01, 0.01, 0.005, 0.005))
  # NA: no val_loss that epoch (skipped once validation was seen); NaN: not improved.
  callback <- new_callback_cyclical_learning_rate(step_size = 5, patience = 10,
                                                  verbose = 0)
  replay_epochs(callback, 4, val_loss = c(5, NA, NaN, 4))
  epochs <- callback$history_epoch
  expect_identical(epochs$not_improved_for_n_times, c(0L, 0L, 1L, 0L))
  # no value logged: NA, as in keras3's histories; a logged NaN stays NaN
  expect_identical(epochs$val_loss, c(5, NA, NaN, 4))
  # both survive a CSV file and a saved state
  path <- tempfile(fileext = ".csv")
  on.exit(unlink(path), add = TRUE)
  write_lr_history_csv(callback, path, table = "history_epoch")
  expect_identical(read.csv(path)$val_loss, c(5, NA, NaN, 4))
  state <- tempfile(fileext = ".json")
  on.exit(unlink(state), add = TRUE)
  save_clr_state(callback, state)
  restored <- new_callback_cyclical_learning_rate(step_size = 5, patience = 10, verbose = 0)
  load_clr_state(restored, state)
  expect_identical(restored$history_epoch, epochs)
})

test_that("training through reticulate's Keras gives the worked example", {
  skip_if_no_kerasclr()
  keras <- reticulate::import("keras")
  data <- regression_data(13)
  model <- tiny_model(keras)
  callback <- new_callback_cyclical_learning_rate(step_size = 6, verbose = 0)
  model$fit(data$x, data$y, batch_size = 1L, epochs = 2L, shuffle = FALSE,
            verbose = 0L, callbacks = list(callback))
  case <- Filter(function(case) case$name == "worked_example", read_golden()$cases)[[1]]
  expect_table_equal(callback$history, case$history, label = "fit history")
  epochs <- callback$history_epoch
  expect_identical(names(epochs), c("loss", names(case$history_epoch)))
  expect_close(epochs$lr, golden_vector(case$history_epoch$lr))
})

test_that("a Python error during training is an R error with the Python message", {
  skip_if_no_kerasclr()
  keras <- reticulate::import("keras")
  data <- regression_data(8)
  model <- tiny_model(keras)
  callback <- new_callback_cyclical_learning_rate(step_size = 4, patience = 3,
                                                  verbose = 0)
  error <- expect_error(
    model$fit(data$x, data$y, batch_size = 4L, epochs = 1L, verbose = 0L,
              callbacks = list(callback)),
    "`patience` is 3 but the logs of epoch 1 have no `val_loss`", fixed = TRUE
  )
  expect_false(grepl("File \"", conditionMessage(error), fixed = TRUE))
  # The batches that ran are kept.
  expect_identical(nrow(callback$history), 2L)

  # An error in an R scale_fn, raised while Keras trains, comes back as is.
  callback <- new_callback_cyclical_learning_rate(
    step_size = 2, verbose = 0,
    scale_fn = function(x) if (x > 1) stop("no scale for cycle ", x) else 1
  )
  error <- expect_error(
    model$fit(data$x, data$y, batch_size = 4L, epochs = 3L, verbose = 0L,
              callbacks = list(callback)),
    "no scale for cycle 2", fixed = TRUE
  )
  expect_false(grepl("File \"", conditionMessage(error), fixed = TRUE))
})

test_that("a kerasclr error raised inside fit() reads in R terms", {
  skip_if_no_kerasclr()
  keras <- reticulate::import("keras")
  main <- reticulate::py_run_string(paste(
    "import keras",
    "from kerasclr.errors import KerasclrError",
    "class RefuseToTrain(keras.callbacks.Callback):",
    "    def on_train_begin(self, logs=None):",
    "        raise KerasclrError('Python wording: pass `x=1`.', 'R wording: pass `x = 1`.')",
    sep = "\n"), convert = FALSE)
  data <- regression_data(8)
  model <- tiny_model(keras)
  error <- expect_error(model$fit(data$x, data$y, epochs = 1L, verbose = 0L,
                                  callbacks = list(main$RefuseToTrain())))
  message <- conditionMessage(error)
  expect_match(message, "R wording: pass `x = 1`.", fixed = TRUE)
  expect_no_match(message, "Python wording|Traceback")
  if (utils::packageVersion("reticulate") >= "1.29") {
    # A condition of the Python class: kerasclr words it, without reticulate's
    # class prefix, py_last_error() hint and internal call.
    expect_identical(message, "R wording: pass `x = 1`.")
    expect_null(conditionCall(error))
  }
  if (utils::packageVersion("reticulate") >= "1.40") {
    # of the R class of kerasclr's own errors too, so one handler catches both
    # (reticulate names a class without a Python module by its name alone)
    expect_s3_class(error, "kerasclr_error")
    caught <- tryCatch(model$fit(data$x, data$y, epochs = 1L, verbose = 0L,
                                 callbacks = list(main$RefuseToTrain())),
                       kerasclr_error = function(e) "caught as kerasclr_error")
    expect_identical(caught, "caught as kerasclr_error")
  }
})

test_that("a kerasclr callback's own error inside fit() is a kerasclr_error", {
  skip_if_no_kerasclr()
  keras <- reticulate::import("keras")
  data <- regression_data(16)
  trained <- new_callback_cyclical_learning_rate(base_lr = 0.001, max_lr = 0.006,
                                                 step_size = 4, verbose = 0)
  tiny_model(keras)$fit(data$x, data$y, batch_size = 4L, epochs = 2L, verbose = 0L,
                        callbacks = list(trained))
  path <- tempfile(fileext = ".json")
  on.exit(unlink(path), add = TRUE)
  save_clr_state(trained, path)
  resumed <- new_callback_cyclical_learning_rate(base_lr = 0.001, max_lr = 0.006,
                                                 step_size = 4, verbose = 0)
  load_clr_state(resumed, path)
  model <- tiny_model(keras)  # not the model the state was saved with
  model$fit(data$x, data$y, batch_size = 8L, epochs = 1L, verbose = 0L)
  error <- expect_error(model$fit(data$x, data$y, batch_size = 4L, epochs = 1L,
                                  verbose = 0L, callbacks = list(resumed)))
  expected <- paste(
    "new_callback_cyclical_learning_rate(): the model's optimizer is at step 2,",
    "but the callback's state is at step 8 and no epoch of its history ended at",
    "step 2. Restore the model and the callback state saved at the same epoch end.")
  expect_match(conditionMessage(error), expected, fixed = TRUE)
  if (utils::packageVersion("reticulate") >= "1.40") {
    expect_s3_class(error, "kerasclr_error")
    expect_identical(conditionMessage(error), expected)
  }
  expect_identical(nrow(resumed$history), 8L)  # the loaded history is kept
})

test_that("$history is built once per change of the Python history", {
  skip_if_no_kerasclr()
  main <- reticulate::py_run_string(paste(
    "import pandas as pd",
    "class CountedHistory:",
    "    def __init__(self):",
    "        self.history_version, self.reads, self.rows = 0, 0, 3",
    "    @property",
    "    def history(self):",
    "        self.reads += 1",
    "        return pd.DataFrame({'iteration': range(self.rows), 'lr': [0.5] * self.rows})",
    sep = "\n"), convert = FALSE)
  counted <- kerasclr:::as_kerasclr_callback(reticulate::py_eval("CountedHistory()"))
  first <- counted$history
  expect_identical(counted$history, first)
  expect_identical(counted[["history"]], first)
  expect_identical(counted$reads, 1L)
  # New rows come with a new version: the table is read again.
  reticulate::py_set_attr(counted, "rows", 5L)
  reticulate::py_set_attr(counted, "history_version", 1L)
  expect_identical(counted$history$iteration, 0:4)
  expect_identical(counted$reads, 2L)
})
