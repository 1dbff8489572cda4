# Checks of the arguments only R has (plot backends, file paths, logical
# drawing options). Python checks every argument it takes (R/args.R). Each
# returns the value or stops with "`name` must be ..., not <value>."
# attributed to the exported function that was called.

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
    return(sprintf("%s %s vector of length %d",
                   if (is.integer(x)) "an" else "a", typeof(x), length(x)))
  }
  if (inherits(x, "kerasclr_callback")) {
    return("a kerasclr callback")
  }
  if (inherits(x, "kerasclr_tensorboard_rates")) {
    return("a TensorBoardRates callback")
  }
  if (inherits(x, "python.builtin.object")) {
    return(sprintf("a Python object of class %s", class(x)[[1]]))
  }
  if (is.list(x) && !is.object(x)) {
    return(if (length(x)) sprintf("a list of length %d", length(x)) else "an empty list")
  }
  sprintf("an object of class %s", paste(class(x), collapse = "/"))
}

# stop() attributed to the function that called the checker's caller.
check_stop <- function(..., call = sys.call(-2)) {
  stop(simpleError(paste0(...), call))
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

# One file path, with `~` expanded.
check_path <- function(path, name = deparse(substitute(path)), call = sys.call(-1)) {
  if (!is.character(path) || length(path) != 1L || is.na(path) || !nzchar(path)) {
    check_stop("`", name, "` must be a single file path, not ", describe_value(path), ".",
               call = call)
  }
  path.expand(path)
}
