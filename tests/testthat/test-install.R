test_that("kerasclr_available() answers TRUE or FALSE and agrees with the problem", {
  available <- kerasclr_available()
  expect_type(available, "logical")
  expect_length(available, 1L)
  problem <- kerasclr_python_problem()
  expect_identical(available, is.null(problem))
  if (!available) {
    expect_match(problem, "kerasclr::install_kerasclr()", fixed = TRUE)
  }
})

test_that("the Python core found has the R package's version", {
  skip_if_no_kerasclr()
  core <- kerasclr:::py_core()
  expect_identical(core$`__version__`, as.character(utils::packageVersion("kerasclr")))
})

test_that("a version mismatch says exactly what to run", {
  chosen <- Sys.getenv("RETICULATE_PYTHON", unset = NA)
  Sys.unsetenv("RETICULATE_PYTHON")
  on.exit(if (!is.na(chosen)) Sys.setenv(RETICULATE_PYTHON = chosen))
  expect_null(kerasclr:::version_problem("0.1.0", "0.1.0", "/venv/bin/python"))
  expect_identical(
    kerasclr:::version_problem("0.0.9", "0.1.0", "/venv/bin/python"),
    paste0("The Python core of kerasclr in /venv/bin/python has version 0.0.9 but ",
           "the R package kerasclr has version 0.1.0. Run ",
           "`kerasclr::install_kerasclr()` and restart R (in a checkout of ",
           "kerasclr: `bash tools/setup.sh`).")
  )
})

test_that("install_kerasclr() installs the pinned stack of the bundled requirements", {
  requirements <- system.file("python", "r-stack.txt", package = "kerasclr")
  skip_if(!nzchar(requirements), "the Python core is not bundled in this installation")
  stack <- kerasclr:::python_stack(requirements)
  expect_true(any(grepl("^numpy.*<2", stack)))
  expect_true(any(grepl("^keras", stack)))
  expect_false(any(grepl("^pytest|#", stack)))
  expect_true(file.exists(system.file("python", "pyproject.toml", package = "kerasclr")))
  expect_true(file.exists(system.file("python", "python", "kerasclr", "__init__.py",
                                      package = "kerasclr")))
})

test_that("the hint names RETICULATE_PYTHON when it is set", {
  chosen <- Sys.getenv("RETICULATE_PYTHON", unset = NA)
  Sys.setenv(RETICULATE_PYTHON = "/opt/python/bin/python")
  on.exit(if (is.na(chosen)) Sys.unsetenv("RETICULATE_PYTHON") else
    Sys.setenv(RETICULATE_PYTHON = chosen))
  expect_match(kerasclr:::install_hint(),
               "RETICULATE_PYTHON is set (/opt/python/bin/python): unset it",
               fixed = TRUE)
})

test_that("Python error messages lose reticulate's traceback", {
  message <- paste0(
    "ValueError: `patience` is 3 but the logs have no `val_loss`.\n\n",
    "Detailed traceback:\n  File \"x.py\", line 1, in <module>\n"
  )
  expect_identical(kerasclr:::clean_py_message(message),
                   "ValueError: `patience` is 3 but the logs have no `val_loss`.")
  message <- "ValueError: bad\nRun `reticulate::py_last_error()` for details."
  expect_identical(kerasclr:::clean_py_message(message), "ValueError: bad")
})
