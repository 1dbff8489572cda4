# Argument errors: Python checks every argument (kerasclr.arguments), R words
# the message (the value as typed in R) and attributes it to the R function.

expect_clr_error <- function(..., message) {
  error <- expect_error(new_callback_cyclical_learning_rate(...), message, fixed = TRUE)
  expect_identical(conditionMessage(error), message)
  expect_identical(as.character(conditionCall(error)[[1]]),
                   "new_callback_cyclical_learning_rate")
}

test_that("bad callback arguments give R-style messages naming the argument", {
  skip_if_no_kerasclr()
  expect_clr_error(step_size = 0, message = "`step_size` must be >= 1, not 0.")
  expect_clr_error(step_size = 0.5, message = "`step_size` must be >= 1, not 0.5.")
  expect_clr_error(step_size = "32",
                   message = "`step_size` must be a single number, not \"32\".")
  expect_clr_error(step_size = c(1, 2),
                   message = "`step_size` must be a single number, not a double vector of length 2.")
  expect_clr_error(step_size = NA_real_,
                   message = "`step_size` must be a finite number, not NA.")
  expect_clr_error(step_size = Inf, message = "`step_size` must be a finite number, not Inf.")
  expect_clr_error(base_lr = -1, message = "`base_lr` must be >= 0, not -1.")
  expect_clr_error(base_lr = NULL, message = "`base_lr` must be a single number, not NULL.")
  expect_clr_error(max_lr = -0.1, message = "`max_lr` must be >= 0, not -0.1.")
  expect_clr_error(base_lr = 0.01, max_lr = 0.006,
                   message = "`max_lr` must be >= `base_lr` (0.01), not 0.006.")
  expect_clr_error(mode = "cosine",
                   message = "`mode` must be one of \"triangular\", \"triangular2\", \"exp_range\", not \"cosine\".")
  expect_clr_error(mode = c("triangular", "exp_range"),
                   message = "`mode` must be one of \"triangular\", \"triangular2\", \"exp_range\", not a character vector of length 2.")
  expect_clr_error(gamma = 0, message = "`gamma` must be > 0, not 0.")
  expect_clr_error(gamma = 1.5, message = "`gamma` must be <= 1, not 1.5.")
  expect_clr_error(scale_fn = "sin",
                   message = "`scale_fn` must be a function or NULL, not \"sin\".")
  expect_clr_error(scale_mode = "batch",
                   message = "`scale_mode` must be one of \"cycle\", \"iteration\", \"iterations\", not \"batch\".")
  expect_clr_error(patience = -1, message = "`patience` must be >= 0, not -1.")
  expect_clr_error(patience = 1.5, message = "`patience` must be a whole number, not 1.5.")
  expect_clr_error(patience = NaN, message = "`patience` must be a finite number, not NaN.")
  expect_clr_error(factor = 0, message = "`factor` must be > 0, not 0.")
  expect_clr_error(factor = 1.1, message = "`factor` must be <= 1, not 1.1.")
  expect_clr_error(decrease_base_lr = "yes",
                   message = "`decrease_base_lr` must be TRUE or FALSE, not \"yes\".")
  expect_clr_error(decrease_base_lr = NA,
                   message = "`decrease_base_lr` must be TRUE or FALSE, not NA.")
  expect_clr_error(cooldown = -2, message = "`cooldown` must be >= 0, not -2.")
  expect_clr_error(cooldown = 2.5, message = "`cooldown` must be a whole number, not 2.5.")
  expect_clr_error(verbose = -1, message = "`verbose` must be >= 0, not -1.")
  expect_clr_error(verbose = "loud", message = "`verbose` must be a single number, not \"loud\".")
})

test_that("bad clr_schedule() arguments give R-style messages", {
  skip_if_no_kerasclr()
  expect_error(clr_schedule(c(0, 1.5)),
               "`iterations` must hold whole numbers >= 0, not 1.5.", fixed = TRUE)
  expect_error(clr_schedule(-1), "`iterations` must hold whole numbers >= 0, not -1.",
               fixed = TRUE)
  expect_error(clr_schedule("a"), "`iterations` must hold whole numbers >= 0, not \"a\".",
               fixed = TRUE)
  expect_error(clr_schedule(0:3, step_size = 0), "`step_size` must be >= 1, not 0.",
               fixed = TRUE)
  expect_error(clr_schedule(0:3, dtype = "float16"),
               "`dtype` must be one of \"float32\", \"float64\", not \"float16\".",
               fixed = TRUE)
  error <- expect_error(clr_schedule(0:3, max_lr = -1))
  expect_identical(as.character(conditionCall(error)[[1]]), "clr_schedule")
})

test_that("bad callbacks and arguments of the other functions are refused", {
  expect_error(install_kerasclr(envname = 1),
               "`envname` must be one non-empty string, not 1.", fixed = TRUE)
  skip_if_no_kerasclr()
  msg <- paste0("must be a kerasclr callback made by ",
                "new_callback_cyclical_learning_rate() (or another kerasclr policy), ",
                "not a double vector of length 3.")
  # plot_clr_history()'s first argument has KerasMisc's name.
  error <- expect_error(plot_clr_history(1:3 + 0.5), paste0("`callback_clr` ", msg),
                        fixed = TRUE)
  expect_identical(as.character(conditionCall(error)[[1]]), "plot_clr_history")
  expect_error(replay_epochs(1:3 + 0.5, 10, epochs = 1), paste0("`callback` ", msg),
               fixed = TRUE)
  expect_error(reset_cyclical_learning_rate(1:3 + 0.5), paste0("`callback` ", msg),
               fixed = TRUE)
  expect_error(plot_lr_history(list()), "not an empty list.", fixed = TRUE)
  expect_error(reset_cyclical_learning_rate(new_callback_step_decay()),
               "`callback` must be a callback that has reset() (made by new_callback_cyclical_learning_rate()), not a StepDecay.",
               fixed = TRUE)
})

test_that("arguments of functions that take a callback are checked in R", {
  skip_if_no_kerasclr()
  callback <- new_callback_cyclical_learning_rate(step_size = 4, verbose = 0)
  expect_error(replay_epochs(callback, 0, epochs = 1),
               "`steps_per_epoch` must be >= 1, not 0.", fixed = TRUE)
  expect_error(replay_epochs(callback, 10), "Give `val_loss` or `epochs`.", fixed = TRUE)
  expect_error(replay_epochs(callback, 10, epochs = 1.5),
               "`epochs` must be a whole number, not 1.5.", fixed = TRUE)
  expect_error(replay_epochs(callback, 10, val_loss = 1, epochs = 2),
               "`val_loss` has 1 values for 2 epochs.", fixed = TRUE)
  expect_error(replay_epochs(callback, 10, val_loss = "low"),
               "`val_loss` must be NULL or a numeric vector, not \"low\".", fixed = TRUE)
  expect_error(reset_cyclical_learning_rate(callback, new_base_lr = -1),
               "`new_base_lr` must be >= 0, not -1.", fixed = TRUE)
  expect_error(reset_cyclical_learning_rate(callback, new_max_lr = 0.0001),
               "`new_max_lr` must be >= `new_base_lr` (0.001), not 1e-04.", fixed = TRUE)
  expect_error(reset_cyclical_learning_rate(callback, new_step_size = 0.5),
               "`new_step_size` must be >= 1, not 0.5.", fixed = TRUE)
  expect_error(plot_clr_history(callback, granularity = "batch"),
               "`granularity` must be one of \"epoch\", \"iteration\", not \"batch\".",
               fixed = TRUE)
  expect_error(plot_clr_history(callback, backend = "lattice"),
               "`backend` must be one of \"ggplot2\", \"base\", not \"lattice\".",
               fixed = TRUE)
  expect_error(plot_clr_history(callback, trans_y_axis = "sqrt", backend = "base"),
               paste0("`trans_y_axis` must be \"identity\" or \"log10\" with ",
                      "`backend = \"base\"` (other transformations need ",
                      "`backend = \"ggplot2\"`), not \"sqrt\"."),
               fixed = TRUE)
  skip_if_not_installed("ggplot2")
  expect_error(plot_clr_history(callback, trans_y_axis = "no_such"),
               paste0("`trans_y_axis` must be a transformation ggplot2 knows (such as ",
                      "\"identity\", \"log10\", \"log2\", \"sqrt\" or a ",
                      "transformation object of the scales package), not \"no_such\"."),
               fixed = TRUE)
  # Errors raised by Python come in R terms, attributed to the R call.
  error <- expect_error(plot_clr_history(callback, backend = "base"),
                        "has no history yet", fixed = TRUE)
  expect_identical(as.character(conditionCall(error)[[1]]), "plot_clr_history")
  expect_match(conditionMessage(error), "fit(callbacks = list(", fixed = TRUE)
  expect_no_match(conditionMessage(error), "callbacks=[", fixed = TRUE)
})

test_that("a missing argument or a file error names the argument or the file", {
  skip_if_no_kerasclr()
  callback <- new_callback_cyclical_learning_rate(verbose = 0)
  path <- file.path(tempdir(), "no-such-folder", "state.json")
  error <- expect_error(save_clr_state(callback, path), path, fixed = TRUE)
  expect_identical(as.character(conditionCall(error)[[1]]), "save_clr_state")
  expect_no_match(conditionMessage(error), "Error|FileNotFoundError|py_last_error")
})

test_that("a missing argument is reported for the function that was called", {
  # Every exported function, each argument without a default left out in turn
  # (those before it given): R's message, attributed to that function, not to
  # the helper that first used the argument (check_path(), py_invoke(), ...).
  # The arguments are checked before anything else, so any value will do.
  checked <- character()
  for (name in getNamespaceExports("kerasclr")) {
    required <- kerasclr:::required_args(getExportedValue("kerasclr", name))
    for (i in seq_along(required)) {
      given <- stats::setNames(rep(list(1), i - 1L), required[seq_len(i - 1L)])
      error <- expect_error(do.call(name, given))
      expect_identical(conditionMessage(error),
                       sprintf("argument \"%s\" is missing, with no default", required[[i]]))
      expect_identical(conditionCall(error)[[1]], as.name(name),
                       label = paste(name, "without", required[[i]]))
      checked <- c(checked, paste0(name, "(", required[[i]], ")"))
    }
  }
  expect_true(all(c("save_clr_state(path)", "load_clr_state(path)",
                    "new_callback_tensorboard_rates(log_dir)", "write_lr_history_csv(path)",
                    "plot_clr_history(callback_clr)", "replay_epochs(callback)",
                    "compare_clr_histories(y)", "plot_lr_range_test(result)") %in% checked))

  skip_if_no_kerasclr()
  callback <- new_callback_cyclical_learning_rate(verbose = 0)
  error <- expect_error(save_clr_state(callback),
                        "argument \"path\" is missing, with no default", fixed = TRUE)
  expect_identical(conditionCall(error), quote(save_clr_state(callback)))
  error <- expect_error(new_callback_tensorboard_rates(callback),
                        "argument \"log_dir\" is missing, with no default", fixed = TRUE)
  expect_identical(conditionCall(error), quote(new_callback_tensorboard_rates(callback)))
})
