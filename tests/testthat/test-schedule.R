test_that("clr_schedule() gives the golden schedules, with R scale functions", {
  skip_if_no_kerasclr()
  golden <- read_golden()
  for (case in golden$schedules) {
    args <- golden_args(case$args)
    lr <- do.call(clr_schedule, c(list(golden_vector(case$iterations)), args))
    expect_type(lr, "double")
    expect_null(dim(lr))
    expect_close(lr, golden_vector(case$lr), label = case$name)
  }
})

test_that("clr_schedule() previews the callback's rates and rounds like the optimizer", {
  skip_if_no_kerasclr()
  expect_identical(
    clr_schedule(0:3, base_lr = 0.001, max_lr = 0.006, step_size = 2, dtype = "float64"),
    c(0.001, 0.0035, 0.006, 0.0035)
  )
  lr32 <- clr_schedule(0:3, step_size = 2)
  expect_false(identical(lr32, c(0.001, 0.0035, 0.006, 0.0035)))
  expect_close(lr32, c(0.001, 0.0035, 0.006, 0.0035))
  expect_identical(clr_schedule(integer(0)), numeric(0))
  expect_identical(length(clr_schedule(5)), 1L)
  callback <- new_callback_cyclical_learning_rate(step_size = 10, mode = "triangular2",
                                                  verbose = 0)
  replay_epochs(callback, steps_per_epoch = 15, epochs = 4)
  expect_identical(callback$history$lr,
                   clr_schedule(0:59, step_size = 10, mode = "triangular2"))
})

test_that("an R scale_fn works in both scale modes of clr_schedule()", {
  skip_if_no_kerasclr()
  step <- function(x) if (x <= 1) 1 else 0.5   # not vectorised
  lr <- clr_schedule(0:7, step_size = 2, base_lr = 0, max_lr = 1, scale_fn = step,
                     dtype = "float64")
  expect_identical(lr, c(0, 0.5, 1, 0.5, 0, 0.25, 0.5, 0.25))
  lr <- clr_schedule(0:4, step_size = 2, base_lr = 0, max_lr = 1, scale_fn = step,
                     scale_mode = "iteration", dtype = "float64")
  expect_identical(lr, c(0, 0.5, 0.5, 0.25, 0))
})
