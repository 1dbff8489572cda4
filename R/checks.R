# R-side argument checks. Each returns the cleaned value or stops with an
# R-style message that names the argument and repeats the value, e.g.
# "`step_size` must be >= 1, not 0.". The error is attributed to the exported
# function that was called (not to the checker).

# A short description of a value for error messages.
describe_value <- function(x) {
  if (is.null(x)) {
    return("NULL")
  }
  if (is.function(x)) {
    return("a function")
  }
  if (is.atomic(x) && length(x) == 1L && is.null(dim(x))) {
    if (is.character(x)) {
      return(if (is.na(x)) "NA" else paste0("\"", x, "\""))
    }
    if (is.numeric(x)) {
      return(format(x, digits = 15))
    }
    return(format(x))
  }
  if (is.atomic(x)) {
    return(sprintf("a %s vector of length %d", typeof(x), length(x)))
  }
  if (inherits(x, "python.builtin.object")) {
    return(sprintf("a Python object of class %s", class(x)[[1]]))
  }
  sprintf("an object of class %s", paste(class(x), collapse = "/"))
}

format_bound <- function(x) format(x, digits = 15)

# stop() attributed to the function that called the checker's caller.
check_stop <- function(..., call = sys.call(-2)) {
  stop(simpleError(paste0(...), call))
}

check_number <- function(x, name = deparse(substitute(x)), min = NULL, max = NULL,
                         min_inclusive = TRUE, max_inclusive = TRUE,
                         allow_inf = FALSE, call = sys.call(-1)) {
  if (!is.numeric(x) || length(x) != 1L || !is.null(dim(x)) && length(dim(x)) > 1L) {
    check_stop("`", name, "` must be a single number, not ", describe_value(x), ".",
               call = call)
  }
  x <- as.double(x)
  if (is.na(x) || (is.infinite(x) && !allow_inf)) {
    check_stop("`", name, "` must be a finite number, not ", describe_value(x), ".",
               call = call)
  }
  if (!is.null(min) && (if (min_inclusive) x < min else x <= min)) {
    check_stop("`", name, "` must be ", if (min_inclusive) ">= " else "> ",
               format_bound(min), ", not ", describe_value(x), ".", call = call)
  }
  if (!is.null(max) && (if (max_inclusive) x > max else x >= max)) {
    check_stop("`", name, "` must be ", if (max_inclusive) "<= " else "< ",
               format_bound(max), ", not ", describe_value(x), ".", call = call)
  }
  x
}

# A whole number (integer or integer-valued double), returned as a double.
check_count <- function(x, name = deparse(substitute(x)), min = 0, allow_inf = FALSE,
                        call = sys.call(-1)) {
  x <- check_number(x, name, min = min, allow_inf = allow_inf, call = call)
  if (is.finite(x) && x != round(x)) {
    check_stop("`", name, "` must be a whole number, not ", describe_value(x), ".",
               call = call)
  }
  x
}

check_flag <- function(x, name = deparse(substitute(x)), call = sys.call(-1)) {
  if (!is.logical(x) || length(x) != 1L || is.na(x)) {
    check_stop("`", name, "` must be TRUE or FALSE, not ", describe_value(x), ".",
               call = call)
  }
  x
}

check_choice <- function(x, choices, name = deparse(substitute(x)),
                         call = sys.call(-1)) {
  if (!is.character(x) || length(x) != 1L || is.na(x) || !(x %in% choices)) {
    check_stop("`", name, "` must be one of ",
               paste0("\"", choices, "\"", collapse = ", "), ", not ",
               describe_value(x), ".", call = call)
  }
  x
}

check_bounds <- function(base_lr, max_lr, base_name = "base_lr", max_name = "max_lr",
                         call = sys.call(-1)) {
  base_lr <- check_number(base_lr, base_name, min = 0, call = call)
  max_lr <- check_number(max_lr, max_name, min = 0, call = call)
  if (max_lr < base_lr) {
    check_stop("`", max_name, "` must be >= `", base_name, "` (",
               describe_value(base_lr), "), not ", describe_value(max_lr), ".",
               call = call)
  }
  list(base_lr = base_lr, max_lr = max_lr)
}

check_function <- function(x, name = deparse(substitute(x)), null_ok = TRUE,
                           call = sys.call(-1)) {
  if (is.null(x) && null_ok) {
    return(x)
  }
  if (!is.function(x)) {
    check_stop("`", name, "` must be a function", if (null_ok) " or NULL", ", not ",
               describe_value(x), ".", call = call)
  }
  x
}

# A kerasclr Python callback (anything with a Python `history_epoch`).
check_callback <- function(x, name = deparse(substitute(x)), call = sys.call(-1)) {
  ok <- inherits(x, "python.builtin.object") &&
    reticulate::py_has_attr(x, "history_epoch") &&
    reticulate::py_has_attr(x, "history")
  if (!ok) {
    check_stop("`", name, "` must be a kerasclr callback made by ",
               "new_callback_cyclical_learning_rate() (or another kerasclr ",
               "policy), not ", describe_value(x), ".", call = call)
  }
  x
}

# The two momentum bounds of a momentum-cycling policy, each in (0, 1).
check_momentum_bounds <- function(base_momentum, max_momentum, call = sys.call(-1)) {
  list(
    base_momentum = check_number(base_momentum, "base_momentum", min = 0, max = 1,
                                 min_inclusive = FALSE, max_inclusive = FALSE,
                                 call = call),
    max_momentum = check_number(max_momentum, "max_momentum", min = 0, max = 1,
                                min_inclusive = FALSE, max_inclusive = FALSE,
                                call = call)
  )
}
