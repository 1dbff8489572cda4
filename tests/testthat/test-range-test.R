# LR range test: lr_range_test(), suggest_lr_band(), plot_lr_range_test().

# 1e-5 .. 1, ten steps per decade; flat 1.0 to step 10 (0-based), then -0.04
# per step down to 0 at step 35, then rising.
synthetic_lr <- function() 10^(-5 + 0.1 * (0:50))
synthetic_loss <- function() {
  i <- 0:50
  loss <- ifelse(i <= 10, 1, 1 - 0.04 * (i - 10))
  ifelse(i <= 35, loss, 0.5 * (i - 35))
}

# A range-test result built from fixed numbers (no training): the plots must
# not depend on a backend's arithmetic.
synthetic_result <- function(with_band = TRUE) {
  lr <- synthetic_lr()
  raw <- synthetic_loss() + 0.08 * sin(seq_along(lr) * 2.3)
  smoothed <- kerasclr:::py_core()$smooth_losses(array(raw), beta = 0.7)
  band <- if (with_band) suggest_lr_band(lr, smoothed) else NULL
  structure(
    list(history = data.frame(iteration = 0:50, lr = lr, loss = raw,
                              smoothed_loss = as.double(smoothed)),
         suggestion = band, method = "fall", stop_reason = "completed"),
    class = "kerasclr_lr_range_test"
  )
}

test_that("suggest_lr_band() gives the known band of a synthetic curve", {
  skip_if_no_kerasclr()
  lr <- synthetic_lr()
  loss <- synthetic_loss()
  # loss 0.88 at step 13 is the first <= 0.9, 0.08 at step 33 the first <= 0.1
  expect_identical(suggest_lr_band(lr, loss), list(base_lr = lr[14], max_lr = lr[34]))
  # valley: flat start (last flat point: step 10) to step 35, middle step 22
  expect_identical(suggest_lr_band(lr, loss, method = "valley"),
                   list(base_lr = lr[23] / 4, max_lr = lr[23]))
  expect_identical(suggest_lr_band(lr, loss, method = "minimum", base_ratio = 3),
                   list(base_lr = lr[36] / 10 / 3, max_lr = lr[36] / 10))
  # the same numbers as Python
  py_band <- kerasclr:::py_core()$suggest_lr_band(array(lr), array(loss),
                                                   method = "steepest")
  expect_identical(suggest_lr_band(lr, loss, method = "steepest"),
                   list(base_lr = py_band$base_lr, max_lr = py_band$max_lr))
})

test_that("suggest_lr_band() errors name the problem", {
  skip_if_no_kerasclr()
  lr <- synthetic_lr()
  expect_error(suggest_lr_band(lr, seq(1, 2, length.out = 51)),
               "never falls below its starting value")
  expect_error(suggest_lr_band(lr, synthetic_loss(), method = "best"),
               "`method` must be one of \"fall\", \"steepest\", \"minimum\", \"valley\", not \"best\".",
               fixed = TRUE)
  expect_error(suggest_lr_band(lr, synthetic_loss(), base_ratio = 1),
               "`base_ratio` must be > 1, not 1.", fixed = TRUE)
  expect_error(suggest_lr_band("a", 1), "`lr` and `loss` must be numeric vectors")
})

test_that("lr_range_test() checks its arguments R-style", {
  skip_if_no_kerasclr()
  keras <- reticulate::import("keras")
  model <- tiny_model(keras)
  data <- regression_data(8)
  run <- function(...) lr_range_test(model, data$x, data$y, ...)
  expect_error(run(min_lr = 0), "`min_lr` must be > 0, not 0.", fixed = TRUE)
  expect_error(run(max_lr = -1), "`max_lr` must be > 0, not -1.", fixed = TRUE)
  expect_error(run(min_lr = 0.1, max_lr = 0.1),
               "`max_lr` must be > `min_lr` (0.1), not 0.1.", fixed = TRUE)
  expect_error(run(min_lr = 1, max_lr = 0.1),
               "`max_lr` must be > `min_lr` (1), not 0.1.", fixed = TRUE)
  expect_error(run(steps = 1), "`steps` must be >= 2, not 1.", fixed = TRUE)
  expect_error(run(steps = 2.5), "`steps` must be a whole number, not 2.5.", fixed = TRUE)
  expect_error(run(sweep = "log"),
               "`sweep` must be one of \"exponential\", \"linear\", not \"log\".",
               fixed = TRUE)
  expect_error(run(beta = 1), "`beta` must be < 1, not 1.", fixed = TRUE)
  expect_error(run(diverge_threshold = 1), "`diverge_threshold` must be > 1, not 1.",
               fixed = TRUE)
  expect_error(run(restore_weights = NA), "`restore_weights` must be TRUE or FALSE",
               fixed = TRUE)
  expect_error(lr_range_test("model", data$x, data$y),
               "`model` must be a Keras model, not \"model\".", fixed = TRUE)
  uncompiled <- keras$Sequential(list(keras$Input(shape = list(3L)),
                                      keras$layers$Dense(1L)))
  expect_error(lr_range_test(uncompiled, data$x, data$y),
               "`model` must be compiled before lr_range_test()", fixed = TRUE)
})

test_that("lr_range_test() returns Python's numbers and restores the model", {
  skip_if_no_kerasclr()
  keras <- reticulate::import("keras")
  data <- regression_data(256)
  model <- tiny_model(keras)
  weights_before <- model$get_weights()
  result <- lr_range_test(model, data$x, data$y, min_lr = 1e-4, max_lr = 10,
                          steps = 100, batch_size = 16, beta = 0.9, shuffle = FALSE)
  expect_s3_class(result, "kerasclr_lr_range_test")
  expect_named(result, c("history", "suggestion", "method", "stop_reason"))
  expect_identical(names(result$history), c("iteration", "lr", "loss", "smoothed_loss"))
  expect_type(result$history$iteration, "integer")
  expect_true(result$stop_reason %in% c("diverged", "non_finite_loss"))
  expect_lt(nrow(result$history), 100)
  expect_identical(result$method, "fall")
  expect_identical(model$get_weights(), weights_before)

  # The same run in Python, on an identical model.
  twin <- tiny_model(keras)
  py_result <- py_core_raw()$lr_range_test(
    twin, data$x, data$y, min_lr = 1e-4, max_lr = 10, steps = 100L,
    batch_size = 16L, beta = 0.9, shuffle = FALSE)
  py_history <- kerasclr:::py_frame_to_r(py_result$history)
  expect_identical(result$history, py_history)
  py_band <- reticulate::py_to_r(py_result$suggestion)
  expect_identical(result$suggestion,
                   list(base_lr = py_band$base_lr, max_lr = py_band$max_lr))
  expect_identical(result$suggestion,
                   suggest_lr_band(result$history$lr, result$history$smoothed_loss))
  expect_equal(result$history$lr,
               as.vector(kerasclr:::py_core()$sweep_lrs(1e-4, 10, 100L))[
                 seq_len(nrow(py_history))],
               tolerance = 1e-6)

  # The suggestion goes straight into the CLR callback.
  clr <- do.call(new_callback_cyclical_learning_rate,
                 c(result$suggestion, list(step_size = 52, verbose = 0)))
  expect_identical(clr$base_lr, result$suggestion$base_lr)
  expect_identical(clr$max_lr, result$suggestion$max_lr)
  expect_output(print(result), "suggestion \\(fall\\): base_lr = ")
})

test_that("lr_range_test() takes a TensorFlow dataset, as fit() does", {
  skip_if_no_kerasclr()
  skip_if_not(reticulate::py_module_available("tensorflow"), "TensorFlow is not installed")
  keras <- reticulate::import("keras")
  tf <- reticulate::import("tensorflow")
  data <- regression_data(256)
  batches <- tf$data$Dataset$from_tensor_slices(
    reticulate::tuple(data$x, data$y))$batch(16L)$`repeat`()
  model <- tiny_model(keras)
  weights_before <- model$get_weights()
  from_dataset <- lr_range_test(model, batches, min_lr = 1e-4, max_lr = 10, steps = 60,
                                beta = 0.9)
  expect_identical(model$get_weights(), weights_before)
  # the same batches as arrays in the same order: the same test
  from_arrays <- lr_range_test(tiny_model(keras), data$x, data$y, min_lr = 1e-4,
                               max_lr = 10, steps = 60, batch_size = 16, beta = 0.9,
                               shuffle = FALSE)
  expect_equal(from_dataset$history, from_arrays$history, tolerance = 1e-6)
  # datasets carry their targets and batches: R-worded errors otherwise
  expect_error(lr_range_test(model, batches, data$y, steps = 10),
               "`y` must be NULL when `x` is a dataset", fixed = TRUE)
  expect_error(lr_range_test(model, batches, batch_size = 8, steps = 10),
               "`batch_size` must be NULL when `x` is a dataset (its batches are used), not 8.",
               fixed = TRUE)
})

test_that("lr_range_test() warns and returns NULL when the loss never falls", {
  skip_if_no_kerasclr()
  keras <- reticulate::import("keras")
  keras$utils$set_random_seed(0L)
  # Input i is e_i and the loss is the prediction: 0 at every step.
  model <- keras$Sequential(list(
    keras$Input(shape = list(6L)),
    keras$layers$Dense(1L, use_bias = FALSE, kernel_initializer = "zeros")
  ))
  model$compile(optimizer = keras$optimizers$SGD(0.5),
                loss = function(y_true, y_pred) keras$ops$sum(y_pred))
  expect_warning(
    result <- lr_range_test(model, diag(6), matrix(0, 6, 1), min_lr = 1e-3,
                            max_lr = 1e-2, steps = 6, batch_size = 1,
                            shuffle = FALSE),
    "no suggestion: The loss never falls"
  )
  expect_null(result$suggestion)
  expect_identical(result$history$loss, rep(0, 6))
  expect_output(print(result), "no suggestion")
})

test_that("plot_lr_range_test() checks its arguments", {
  expect_error(plot_lr_range_test(list()), "`result` must be the value of lr_range_test()",
               fixed = TRUE)
  skip_if_no_kerasclr()
  expect_error(plot_lr_range_test(synthetic_result(), backend = "lattice"),
               "`backend` must be one of \"ggplot2\", \"base\", not \"lattice\".",
               fixed = TRUE)
})

test_that("plot_lr_range_test() snapshots", {
  skip_if_no_kerasclr()
  skip_if_not_installed("vdiffr")
  skip_if_not_installed("ggplot2")
  result <- synthetic_result()
  plot <- plot_lr_range_test(result)
  expect_s3_class(plot, "ggplot")
  vdiffr::expect_doppelganger("range test ggplot2", plot)
  vdiffr::expect_doppelganger("range test ggplot2 smoothed only",
                              plot_lr_range_test(result, show_loss = FALSE))
  vdiffr::expect_doppelganger("range test ggplot2 no band",
                              plot_lr_range_test(synthetic_result(FALSE)))
  vdiffr::expect_doppelganger("range test base", function() {
    plot_lr_range_test(result, backend = "base")
  })
})
