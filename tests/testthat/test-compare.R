# compare_clr_histories(): the golden comparisons shared with the Python suite,
# and its errors.

golden_table <- function(table) {
  as.data.frame(lapply(table, function(values) {
    if (is.logical(values[[1]])) unlist(values) else golden_vector(values)
  }))
}

test_that("compare_clr_histories() gives the golden comparisons", {
  skip_if_no_kerasclr()
  for (case in read_golden()$comparisons) {
    result <- compare_clr_histories(golden_table(case$x), golden_table(case$y))
    expected <- case$expected
    want <- do.call(rbind, lapply(expected$table, as.data.frame))
    expect_s3_class(result, "kerasclr_comparison")
    expect_identical(attr(result, "key"), expected$key, label = case$name)
    expect_identical(attr(result, "rows"), as.integer(expected$rows))
    expect_identical(attr(result, "schedule_identical"), expected$schedule_identical)
    expect_identical(names(result), names(want))
    expect_identical(result$column, want$column)
    expect_identical(result$schedule, want$schedule)
    expect_identical(result$identical, want$identical, label = case$name)
    expect_identical(result$within_tolerance, want$within_tolerance)
    expect_equal(result$max_abs_diff, want$max_abs_diff, tolerance = 1e-12)
    expect_equal(result$max_rel_diff, want$max_rel_diff, tolerance = 1e-12)
  }
})

test_that("a run and its replay of the same settings are identical", {
  skip_if_no_kerasclr()
  run <- function() {
    callback <- new_callback_cyclical_learning_rate(step_size = 6, patience = 1,
                                                    cooldown = 1, verbose = 0)
    replay_epochs(callback, 13, val_loss = c(3, 3.1, 3.2, 3.3))
    callback
  }
  a <- run()
  b <- run()
  by_iteration <- compare_clr_histories(a$history, b$history)
  expect_identical(attr(by_iteration, "key"), "iteration")
  expect_identical(attr(by_iteration, "rows"), 52L)
  expect_true(attr(by_iteration, "schedule_identical"))
  by_epoch <- compare_clr_histories(a$history_epoch, b$history_epoch)
  expect_identical(attr(by_epoch, "key"), "epoch")
  expect_output(print(by_epoch), "4 rows aligned on `epoch`; schedule columns identical")
})

test_that("compare_clr_histories() names what differs", {
  skip_if_no_kerasclr()
  a <- data.frame(iteration = 0:2, lr = c(0.1, 0.2, 0.3))
  expect_error(compare_clr_histories(a, a[1:2, ]), "`x` has 3 rows, `y` has 2")
  expect_error(compare_clr_histories(a, cbind(a, loss = 1)),
               "only in `x`: \\(none\\); only in `y`: loss")
  expect_error(compare_clr_histories(a, transform(a, lr = "x")),
               "Column `lr` of `y` is not numeric")
  expect_error(compare_clr_histories(a, transform(a, iteration = c(0, 1, 5))),
               "iteration 2 in `x` and 5 in `y`")
})

test_that("compare_clr_histories() checks its arguments in R", {
  a <- data.frame(iteration = 0:2, lr = c(0.1, 0.2, 0.3))
  expect_error(compare_clr_histories(list(1), a),
               "`x` must be a data frame \\(a history table\\), not")
  expect_error(compare_clr_histories(a, 1), "`y` must be a data frame")
  expect_error(compare_clr_histories(a, a, rtol = -1), "`rtol` must be >= 0")
})
