#' Compare two learning-rate history tables
#'
#' Aligns two history tables of the same kind on their key column
#' (`iteration` for `$history`, `epoch` for `$history_epoch`) and reports, for
#' every column, the largest absolute and relative difference. Typical use:
#' the same model trained from R and from Python, or a run and its replay
#' ([replay_epochs()]). The comparison is computed by the Python core
#' (`kerasclr.compare_clr_histories()`), so both languages give the same
#' numbers.
#'
#' @param x,y Data frames with the same columns and the same number of rows,
#'   e.g. two callbacks' `$history` or `$history_epoch`, or tables read back
#'   from CSV. Logical columns count as 0/1; other columns must be numeric.
#' @param rtol Relative tolerance for the `within_tolerance` column
#'   (learning rates are compared with `1e-6` by convention, since the
#'   optimizer applies them in float32).
#'
#' @return A data frame of class `kerasclr_comparison`, one row per column:
#'   `column`, `schedule` (`TRUE` for iteration, epoch, lr, base_lr, max_lr),
#'   `max_abs_diff`, `max_rel_diff`, `identical` (equal to the bit, `NA`s in
#'   the same places) and `within_tolerance`. Attributes: `key` (the column
#'   aligned on), `rows`, `rtol` and `schedule_identical` (`TRUE` when every
#'   schedule column is identical).
#' @export
#' @examplesIf kerasclr_available()
#' run <- function() {
#'   cb <- new_callback_cyclical_learning_rate(step_size = 6, verbose = 0)
#'   replay_epochs(cb, steps_per_epoch = 13, epochs = 2)
#' }
#' result <- compare_clr_histories(run()$history, run()$history)
#' result
#' attr(result, "schedule_identical")
compare_clr_histories <- function(x, y, rtol = 1e-6) {
  check_required()
  check_history_table(x, "x")
  check_history_table(y, "y")
  result <- py_invoke(py_core()$compare_clr_histories,
                      list(reticulate::r_to_py(x), reticulate::r_to_py(y), rtol = rtol))
  structure(
    py_frame_to_r(reticulate::py_get_attr(result, "table")),
    key = result$key,
    rows = as.integer(result$rows),
    rtol = rtol,
    schedule_identical = isTRUE(result$schedule_identical),
    class = c("kerasclr_comparison", "data.frame")
  )
}

# R's data frames travel to Python as pandas DataFrames: anything else is
# refused here, in R terms.
check_history_table <- function(x, name, call = sys.call(-1)) {
  if (!is.data.frame(x)) {
    check_stop("`", name, "` must be a data frame (a history table), not ",
               describe_value(x), ".", call = call)
  }
  invisible(x)
}

#' @export
print.kerasclr_comparison <- function(x, ...) {
  verdict <- if (isTRUE(attr(x, "schedule_identical"))) "identical" else "DIFFERENT"
  cat(sprintf("<kerasclr_comparison> %d rows aligned on `%s`; schedule columns %s\n",
              attr(x, "rows"), attr(x, "key"), verdict))
  print(format(as.data.frame(unclass(x)), digits = 3), row.names = FALSE)
  invisible(x)
}
