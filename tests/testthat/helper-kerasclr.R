# Shared helpers of the testthat suite (also for test-compare*, test-state*,
# test-policies*, test-range-test*).

Sys.setenv(TF_CPP_MIN_LOG_LEVEL = "3")
if (!nzchar(Sys.getenv("KERAS_BACKEND"))) {
  Sys.setenv(KERAS_BACKEND = "tensorflow")
}

# The Python module kerasclr that the R package imported, without conversion
# of results (pandas objects stay Python objects).
py_core_raw <- function() {
  kerasclr:::py_core()
  reticulate::import("kerasclr", convert = FALSE)
}

# Skip a test that needs the Python core, saying why.
skip_if_no_kerasclr <- function() {
  problem <- kerasclr::kerasclr_python_problem()
  if (!is.null(problem)) {
    testthat::skip(paste("needs the Python core of kerasclr:", problem))
  }
}

# The golden vectors shared with the Python suite (tests/golden/golden.json).
golden_path <- function() testthat::test_path("..", "golden", "golden.json")

read_golden <- function() {
  path <- golden_path()
  if (!file.exists(path)) {
    testthat::skip(paste("golden vectors not found at", path))
  }
  if (!requireNamespace("jsonlite", quietly = TRUE)) {
    testthat::skip("reading the golden vectors needs the jsonlite package")
  }
  jsonlite::fromJSON(path, simplifyVector = FALSE)
}

# The named scale functions of golden.json, as R functions of one number.
golden_scale_fns <- list(
  sine = function(x) 0.5 * (1 + sin(x * pi / 2)),
  decay = function(x) 1 / (1 + x / 100)
)

# JSON list -> numeric vector: null -> NA (no value), "NaN" -> NaN.
golden_vector <- function(values) {
  vapply(values, function(v) {
    if (is.null(v)) NA_real_ else if (identical(v, "NaN")) NaN else as.double(v)
  }, numeric(1))
}

# Constructor arguments of a golden case, with its named scale_fn.
golden_args <- function(args) {
  if (!is.null(args$scale_fn)) {
    args$scale_fn <- golden_scale_fns[[args$scale_fn]]
  }
  args
}

# Run the ops of a golden case on a new callback through replay_epochs().
run_golden_case <- function(case) {
  callback <- do.call(
    kerasclr::new_callback_cyclical_learning_rate,
    c(golden_args(case$args), verbose = 0)
  )
  for (op in case$ops) {
    if (identical(op$op, "train")) {
      val_loss <- if (is.null(op$val_loss)) NULL else golden_vector(op$val_loss)
      kerasclr::replay_epochs(callback, op$steps_per_epoch, val_loss = val_loss,
                              epochs = op$epochs)
    } else {
      args <- op[setdiff(names(op), "op")]
      do.call(kerasclr::reset_cyclical_learning_rate, c(list(callback), args))
    }
  }
  callback
}

# Relative comparison (default 1e-6, the tolerance of the golden vectors:
# the optimizer applies rates in float32), NaN/NA equal; `atol` for values
# near 0 computed in float32 arithmetic (Keras's cosine decay).
expect_close <- function(object, expected, rtol = 1e-6, atol = 0, label = NULL) {
  object <- as.double(object)
  expected <- as.double(expected)
  testthat::expect_identical(length(object), length(expected), label = label)
  same_na <- is.na(object) == is.na(expected)
  testthat::expect_true(all(same_na), label = paste(label, "NA positions"))
  ok <- !is.na(expected)
  err <- abs(object[ok] - expected[ok])
  bad <- which(err > rtol * abs(expected[ok]) + atol)
  testthat::expect(
    length(bad) == 0L,
    sprintf("%s: %d values differ beyond rtol %g; first at %d: %.17g vs %.17g",
            label %||% "values", length(bad), rtol, which(ok)[bad[1]],
            object[ok][bad[1]], expected[ok][bad[1]])
  )
}

`%||%` <- function(x, y) if (is.null(x)) y else x

# A data frame against a golden table (a JSON object of columns).
expect_table_equal <- function(frame, expected, label = "table") {
  testthat::expect_s3_class(frame, "data.frame")
  testthat::expect_identical(names(frame), names(expected))
  for (name in names(expected)) {
    want <- if (is.logical(unlist(expected[[name]]))) {
      as.double(unlist(expected[[name]]))
    } else {
      golden_vector(expected[[name]])
    }
    expect_close(frame[[name]], want, label = paste(label, "column", name))
  }
}

# A tiny regression problem as R matrices (Keras through reticulate).
regression_data <- function(rows, features = 3, seed = 1) {
  set.seed(seed)
  x <- matrix(stats::rnorm(rows * features), rows, features)
  y <- x %*% seq_len(features) + stats::rnorm(rows, sd = 0.1)
  list(x = x, y = matrix(y, ncol = 1))
}

tiny_model <- function(keras, features = 3) {
  keras$utils$set_random_seed(0L)
  model <- keras$Sequential(list(
    keras$Input(shape = list(as.integer(features))),
    keras$layers$Dense(1L)
  ))
  model$compile(optimizer = keras$optimizers$SGD(0.01), loss = "mse")
  model
}

# A replayed callback with a plateau (band reductions), for plot tests.
plateau_callback <- function() {
  callback <- kerasclr::new_callback_cyclical_learning_rate(
    base_lr = 0.001, max_lr = 0.006, step_size = 8, patience = 1, factor = 0.7,
    cooldown = 1, verbose = 0
  )
  kerasclr::replay_epochs(callback, steps_per_epoch = 10,
                          val_loss = c(5, 4, 4.5, 4.6, 4.7, 3, 3.5, 3.6, 3.7, 3.8))
}
