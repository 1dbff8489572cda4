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

test_that("the package carries the Python core of its own version", {
  bundle <- system.file("python", "kerasclr", package = "kerasclr")
  expect_true(file.exists(file.path(bundle, "__init__.py")))
  expect_true(file.exists(file.path(bundle, "_r.py")))
  expect_identical(kerasclr:::bundled_version(),
                   as.character(utils::packageVersion("kerasclr")))
})

test_that("the bundled core is the same as python/kerasclr (tools/bundle-python.sh)", {
  # The source tree is absent inside R CMD check; tools/test.sh checks there.
  source <- testthat::test_path("..", "..", "python", "kerasclr")
  bundle <- testthat::test_path("..", "..", "inst", "python", "kerasclr")
  skip_if_not(dir.exists(source) && dir.exists(bundle),
              "no source tree (python/kerasclr) beside the tests")
  files <- function(dir) {
    found <- list.files(dir, recursive = TRUE, all.files = TRUE)
    sort(found[!grepl("__pycache__|\\.pyc$", found)])
  }
  expect_identical(files(bundle), files(source),
                   label = "files of inst/python/kerasclr (run `bash tools/bundle-python.sh`)")
  same <- unname(tools::md5sum(file.path(bundle, files(source)))) ==
    unname(tools::md5sum(file.path(source, files(source))))
  expect_identical(files(source)[!same], character(0),
                   label = "files that differ (run `bash tools/bundle-python.sh`)")
})

test_that("the core is imported from the R package, in the Python R uses", {
  skip_if_no_kerasclr()
  core <- kerasclr:::py_core()
  expect_identical(core$`__version__`, as.character(utils::packageVersion("kerasclr")))
  expect_identical(
    normalizePath(dirname(core$`__file__`)),
    normalizePath(system.file("python", "kerasclr", package = "kerasclr"))
  )
})

test_that("install_kerasclr() installs only what is missing and never downgrades", {
  keras3_user <- c(numpy = "2.4.1", pandas = "3.1.0", keras = "3.15.0",
                   `tensorflow-cpu` = "2.21.0")
  plan <- kerasclr:::install_plan(keras3_user, numpy1 = FALSE)
  expect_identical(plan$packages, NULL)
  expect_identical(plan$constraints, c("numpy>=2.4.1", "pandas>=3.1.0", "keras>=3.15.0",
                                       "tensorflow-cpu>=2.21.0"))
  # reticulate < 1.38 cannot load NumPy 2: refused, not downgraded.
  expect_match(kerasclr:::install_plan(keras3_user, numpy1 = TRUE),
               "NumPy 2.4.1, which reticulate .* cannot load, and install_kerasclr\\(\\) does not downgrade")
  plan <- kerasclr:::install_plan(character(), numpy1 = TRUE, extra = "matplotlib")
  expect_identical(plan$packages[1:3], c("numpy<2", "pandas", "keras>=3"))
  expect_match(plan$packages[4], "^tensorflow")
  expect_identical(plan$packages[5], "matplotlib")
  expect_identical(plan$constraints, "numpy<2")
  plan <- kerasclr:::install_plan(c(numpy = "1.26.4", keras = "2.15.0", jax = "0.4.30"),
                                  numpy1 = FALSE, backend = "jax")
  expect_identical(plan$packages, c("pandas", "keras>=3"))
  expect_identical(plan$constraints, c("numpy>=1.26.4", "jax>=0.4.30"))
})

test_that("kerasclr declares its Python packages for reticulate::py_require()", {
  packages <- kerasclr:::python_requirements()
  expect_true(all(c("keras", "numpy", "pandas") %in% packages))
  expect_false(any(grepl("<", packages)))
})

test_that("the hint names RETICULATE_PYTHON when it is set", {
  chosen <- Sys.getenv("RETICULATE_PYTHON", unset = NA)
  Sys.setenv(RETICULATE_PYTHON = "/opt/python/bin/python")
  on.exit(if (is.na(chosen)) Sys.unsetenv("RETICULATE_PYTHON") else
    Sys.setenv(RETICULATE_PYTHON = chosen))
  expect_match(kerasclr:::install_hint(),
               "RETICULATE_PYTHON is set (/opt/python/bin/python): install keras",
               fixed = TRUE)
})

test_that("errors of Python calls are R errors of the R function, in R terms", {
  skip_if_no_kerasclr()
  error <- expect_error(new_callback_sgdr(max_lr = "high"))
  expect_s3_class(error, "kerasclr_error")
  expect_identical(conditionMessage(error), "`max_lr` must be a single number, not \"high\".")
  expect_identical(as.character(conditionCall(error)[[1]]), "new_callback_sgdr")
  expect_no_match(conditionMessage(error), "Error|py_last_error|Traceback")
})
