# save_clr_state() / load_clr_state(): a saved and restored callback continues
# exactly like one that never stopped.

test_that("a restored callback continues the plateau run exactly", {
  skip_if_no_kerasclr()
  args <- list(step_size = 7, factor = 0.7, patience = 0, cooldown = 2, verbose = 0)
  losses <- c(3.0, 3.1, 3.2, 2.9, 3.0, 3.3, 2.8, 2.9)
  whole <- do.call(new_callback_cyclical_learning_rate, args)
  replay_epochs(whole, 5, val_loss = losses)

  first <- do.call(new_callback_cyclical_learning_rate, args)
  replay_epochs(first, 5, val_loss = losses[1:4])
  path <- tempfile(fileext = ".json")
  on.exit(unlink(path), add = TRUE)
  expect_identical(save_clr_state(first, path), path)
  resumed <- load_clr_state(do.call(new_callback_cyclical_learning_rate, args), path)
  expect_s3_class(resumed, "kerasclr_callback")
  expect_identical(nrow(resumed$history), 20L)
  replay_epochs(resumed, 5, val_loss = losses[5:8])

  expect_identical(resumed$history, whole$history)
  expect_identical(resumed$history_epoch, whole$history_epoch)
})

test_that("state functions check their arguments", {
  skip_if_no_kerasclr()
  callback <- new_callback_cyclical_learning_rate(verbose = 0)
  expect_error(save_clr_state(list(), "x.json"), "`callback` must be a kerasclr callback")
  expect_error(save_clr_state(callback, 1), "`path` must be a single file path, not 1")
  expect_error(load_clr_state(callback, file.path(tempdir(), "missing.json")),
               "`path` does not exist")
})
