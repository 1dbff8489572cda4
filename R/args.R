# The R wrappers capture their arguments, convert R types to what Python
# expects, and let Python check them (kerasclr.arguments): every rule is
# written once, in Python; R words the error (R/zzz.R, kerasclr_error()).
# What stays in R is what Python cannot know: R functions as scale functions,
# R data (vectors, matrices, data frames, NA) and R-only arguments (plot
# backends, file paths).

# The arguments of the calling function as a named list for py_invoke():
# every formal argument (NULL kept), a missing choice (a default such as
# `c("triangular", "triangular2")`) as its first value, an NA as NaN (which
# Python refuses; the error shows NA, the R value), and `convert[[name]]`
# applied to the arguments it names. `ignore` drops arguments. A missing
# argument without a default is R's usual error, attributed to the caller
# (check_required()).
capture_args <- function(convert = list(), ignore = character(),
                         env = parent.frame(), fn = sys.function(sys.parent()),
                         call = sys.call(sys.parent())) {
  defaults <- formals(fn)
  names <- setdiff(names(defaults), c("...", ignore))
  check_required(intersect(required_args(fn), names), env = env, call = call)
  args <- lapply(names, function(name) {
    value <- get(name, envir = env, inherits = FALSE)
    default <- defaults[[name]]
    if (is.character(value) && length(value) > 1L && is.call(default) &&
        identical(value, eval(default, baseenv()))) {
      value <- value[[1]]
    }
    if (is.function(convert[[name]])) convert[[name]](value) else as_py_value(value)
  })
  names(args) <- names
  args
}

# A missing argument without a default: R's usual error ("argument "path" is
# missing, with no default") attributed to the exported function that was
# called, not to the helper that first uses the argument (check_path(),
# py_invoke(), ...). Checks `names` (by default every argument of the calling
# function that has no default) in the calling function's frame. Exported
# functions that do not start with capture_args() call it first.
check_required <- function(names = required_args(fn), env = parent.frame(),
                           fn = sys.function(sys.parent()),
                           call = sys.call(sys.parent())) {
  for (name in names) {
    if (eval(base::call("missing", as.name(name)), env)) {
      stop(simpleError(sprintf("argument \"%s\" is missing, with no default", name),
                       call))
    }
  }
  invisible()
}

# The names of the arguments of `fn` that have no default (without `...`).
required_args <- function(fn) {
  defaults <- formals(fn)
  names <- setdiff(names(defaults), "...")
  names[vapply(names, function(name) identical(defaults[[name]], quote(expr = )),
               logical(1))]
}

# reticulate turns a logical NA into True, an integer NA into -2147483648 and
# a character NA into "NA": send NaN, which every check refuses.
as_py_value <- function(x) {
  if (is.atomic(x) && length(x) == 1L && is.null(dim(x)) && is.na(x)) NaN else x
}

# An R function of one number, as a function Python may call with an array:
# the R function is called once per element and must return one number.
# Anything else goes to Python as it is (and is refused there).
as_py_scale_fn <- function(fn) {
  if (!is.function(fn)) {
    return(fn)
  }
  force(fn)
  function(x) {
    x <- as.double(x)
    values <- vapply(seq_along(x), function(i) {
      value <- fn(x[[i]])
      if (!is.numeric(value) || length(value) != 1L) {
        stop(sprintf(
          "`scale_fn` must return one number, not %s for %s.",
          describe_value(value), format(x[[i]])
        ), call. = FALSE)
      }
      as.double(value)
    }, numeric(1))
    array(values, dim = length(values))
  }
}

# Iteration counters for Python: a run of consecutive integers (`0:999`)
# travels as a Python range, other numbers as a 1-d float64 array, anything
# else as it is (Python refuses it).
as_py_counters <- function(x) {
  if (!is.numeric(x)) {
    return(x)
  }
  n <- length(x)
  if (is.integer(x) && n > 1L && !anyNA(x) && x[[n]] - x[[1]] == n - 1L &&
      !is.unsorted(x, strictly = TRUE)) {
    builtins <- reticulate::import_builtins(convert = FALSE)
    return(builtins$range(x[[1]], x[[n]] + 1L))
  }
  array(as.double(x), dim = n)
}

# Training data for Keras: matrices/arrays as they are, vectors as one-column
# matrices, data frames as matrices, lists element by element.
as_fit_data <- function(x, name = "x", call = sys.call(-1)) {
  if (is.null(x) || inherits(x, "python.builtin.object")) {
    return(x)
  }
  if (is.data.frame(x)) {
    return(as.matrix(x))
  }
  if (is.list(x)) {
    return(lapply(x, as_fit_data, name = name, call = call))
  }
  if (!is.numeric(x) && !is.logical(x)) {
    check_stop("`", name, "` must be numeric (a matrix, an array or a list of them), ",
               "not ", describe_value(x), ".", call = call)
  }
  if (is.null(dim(x))) {
    return(matrix(as.double(x), ncol = 1))
  }
  x
}
