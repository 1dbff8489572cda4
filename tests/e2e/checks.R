# The checks of the keras3 end-to-end scripts (sourced by each): check()
# records a named expectation and goes on, so one run reports every check;
# finish() prints the summary and exits non-zero when one failed.
.checks <- new.env()
.checks$failed <- character()

check <- function(name, expr) {
  result <- tryCatch(expr, error = function(e) e)
  if (isTRUE(result)) {
    cat("  ok    ", name, "\n", sep = "")
  } else {
    why <- if (inherits(result, "error")) conditionMessage(result) else
      paste(utils::capture.output(print(result)), collapse = " ")
    cat("  FAIL  ", name, "\n        ", substr(why, 1, 600), "\n", sep = "")
    .checks$failed <- c(.checks$failed, name)
  }
  invisible(isTRUE(result))
}

# The message of the error `expr` raises ("" when it raises none).
error_message <- function(expr) {
  tryCatch({
    force(expr)
    ""
  }, error = function(e) conditionMessage(e))
}

finish <- function(script) {
  failed <- .checks$failed
  cat(sprintf("%s: %s\n", script,
              if (length(failed)) paste(length(failed), "check(s) FAILED:",
                                        paste(failed, collapse = "; ")) else
                "every check passed"))
  quit(status = if (length(failed)) 1L else 0L, save = "no")
}

# MASS::Boston as the demo uses it: 13 standardised features, target medv,
# rows 1-404 for training and 405-506 for validation.
boston <- function() {
  data <- MASS::Boston
  x <- scale(as.matrix(data[, setdiff(names(data), "medv")]))
  y <- matrix(data$medv, ncol = 1)
  list(x = unname(x[1:404, ]), y = y[1:404, , drop = FALSE],
       x_val = unname(x[405:506, ]), y_val = y[405:506, , drop = FALSE])
}
