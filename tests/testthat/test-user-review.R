# What R users ran into when they tried kerasclr with keras3: errors that
# named the wrong argument, checks that came only inside fit(), and a fit()
# stopped by another error that left kerasclr's rates for the next fit().

test_that("a bad monitor_mode names monitor_mode and the value", {
  skip_if_no_kerasclr()
  expect_error(new_callback_cyclical_learning_rate(monitor_mode = "maximize"),
               "`monitor_mode` must be one of \"min\", \"max\", not \"maximize\".",
               fixed = TRUE)
  expect_error(new_callback_cyclical_learning_rate(mode = "triangular2",
                                                   monitor_mode = "maximize"),
               "`monitor_mode` must be one of \"min\", \"max\", not \"maximize\".",
               fixed = TRUE)
})

test_that("negative iterations are refused however they are written", {
  skip_if_no_kerasclr()
  for (iterations in list(-3:2, 5:-1, c(-3, -2, -1))) {
    expect_error(clr_schedule(iterations, step_size = 2),
                 "`iterations` must hold whole numbers >= 0", fixed = TRUE)
  }
  expect_identical(clr_schedule(0:2, step_size = 2), clr_schedule(c(0, 1, 2), step_size = 2))
})

test_that("arguments that could only fail inside fit() fail when the callback is made", {
  skip_if_no_kerasclr()
  expect_error(
    new_callback_cyclical_learning_rate(step_size = 5, scale_fn = function(x) c(1, 2)),
    "`scale_fn` must return one number", fixed = TRUE
  )
  expect_error(
    new_callback_cyclical_learning_rate(step_size = 5, scale_fn = function(x) 5),
    "`scale_fn` must return a number in [0, 1]", fixed = TRUE
  )
  expect_error(
    new_callback_wsd(max_lr = 0.01, warmup_fraction = 0.6, decay_fraction = 0.6),
    "`warmup_fraction` and `decay_fraction` add up to 1.2", fixed = TRUE
  )
  expect_error(
    new_callback_wsd(max_lr = 0.01, warmup_steps = 3, warmup_fraction = 0.1),
    "give `warmup_steps` or `warmup_fraction`, not both.", fixed = TRUE
  )
})

test_that("a fit() stopped by another error leaves no kerasclr rates behind", {
  skip_if_no_kerasclr()
  keras <- reticulate::import("keras")
  data <- regression_data(16)
  model <- tiny_model(keras)
  callback <- new_callback_cyclical_learning_rate(base_lr = 0.01, max_lr = 0.06,
                                                  step_size = 5, verbose = 0)
  stop_at_batch_3 <- keras$callbacks$LambdaCallback(
    on_train_batch_end = function(batch, logs) if (batch == 2) stop("stopped by the user")
  )
  expect_error(model$fit(data$x, data$y, batch_size = 4L, epochs = 1L, verbose = 0L,
                         shuffle = FALSE, callbacks = list(callback, stop_at_batch_3)),
               "stopped by the user")
  # reticulate keeps the error (py_last_error()), and so the fit()'s frame:
  # the next fit() without kerasclr trains at the rate the stopped one left
  model$fit(data$x, data$y, batch_size = 4L, epochs = 1L, verbose = 0L)
  rate <- model$optimizer$learning_rate
  expect_true(inherits(rate, "keras.src.backend.common.variables.Variable") ||
                !identical(Sys.getenv("KERAS_BACKEND"), "tensorflow"))
  expect_equal(as.numeric(keras$ops$convert_to_numpy(rate)), 0.04, tolerance = 1e-6)
  expect_equal(callback$history$lr, c(0.01, 0.02, 0.03), tolerance = 1e-7)
})
