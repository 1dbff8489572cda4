# kerasclr from R, measured in one run (Rscript benchmarks/bench_r.R):
#
# 1. Per-step cost of training driven from R through reticulate: constant lr,
#    kerasclr's callback, and for comparison an R function that sets the rate
#    before every batch (what an R-side per-batch callback costs).
# 2. A 1,000,000-iteration history handed to R: time of `$history` and the
#    size of the R data frame.
# 3. clr_schedule() over 10,000,000 iterations in R (target < 0.5 s).
suppressPackageStartupMessages(library(kerasclr))
keras <- reticulate::import("keras")
np <- reticulate::import("numpy", convert = FALSE)

rounds <- 15L
epochs <- 1L
steps <- 200L
clr_args <- list(base_lr = 0.001, max_lr = 0.006, step_size = 100, verbose = 0)

seconds <- function(expr) {
  start <- proc.time()[["elapsed"]]
  force(expr)
  proc.time()[["elapsed"]] - start
}

make_model <- function() {
  keras$utils$set_random_seed(0L)
  model <- keras$Sequential(list(
    keras$Input(shape = list(32L)),
    keras$layers$Dense(64L, activation = "relu"),
    keras$layers$Dense(64L, activation = "relu"),
    keras$layers$Dense(1L)
  ))
  model$compile(optimizer = keras$optimizers$SGD(0.001), loss = "mse")
  model
}

r_setter <- function() {
  iteration <- 0
  keras$callbacks$LambdaCallback(on_train_batch_begin = function(batch, logs) {
    rate <- clr_schedule(iteration, base_lr = 0.001, max_lr = 0.006, step_size = 100,
                         dtype = "float64")
    model_now$optimizer$learning_rate$assign(rate)
    iteration <<- iteration + 1
  })
}

variants <- list(
  constant = function() list(),
  kerasclr = function() list(do.call(new_callback_cyclical_learning_rate, clr_args)),
  r_setter = function() list(r_setter())
)

set.seed(0)
x <- matrix(rnorm(32 * steps * 32), ncol = 32)
y <- array(rnorm(32 * steps), dim = c(32 * steps, 1L))
models <- lapply(variants, function(v) make_model())
for (name in names(variants)) {  # compile and warm up
  model_now <- models[[name]]
  model_now$fit(x, y, batch_size = 32L, epochs = 1L, verbose = 0L, callbacks = variants[[name]]())
}
# Interleaved rounds, order rotated every round; other work on the machine
# only adds time, so each variant's best round is reported (median beside it).
timings <- lapply(variants, function(v) numeric(0))
for (round in seq_len(rounds)) {
  shift <- (round - 1L) %% length(variants)
  order <- names(variants)[c(seq_along(variants)[-seq_len(shift)], seq_len(shift))]
  for (name in order) {
    model_now <- models[[name]]
    callbacks <- variants[[name]]()
    elapsed <- seconds(model_now$fit(x, y, batch_size = 32L, epochs = epochs, verbose = 0L,
                                     callbacks = callbacks))
    timings[[name]] <- c(timings[[name]], elapsed / (epochs * steps))
  }
}
best <- min(timings$constant)
middle <- stats::median(timings$constant)
cat(sprintf("1. Training driven from R: %d rounds x %d steps\n", rounds, epochs * steps))
cat(sprintf("   %-10s %13s %7s %9s   %14s %7s\n", "variant", "best us/step", "ratio", "overhead",
            "median us/step", "ratio"))
for (name in names(timings)) {
  low <- min(timings[[name]])
  mid <- stats::median(timings[[name]])
  cat(sprintf("   %-10s %13.1f %7.3f %+8.1f%%   %14.1f %7.3f\n", name, low * 1e6, low / best,
              (low / best - 1) * 100, mid * 1e6, mid / middle))
}

callback <- do.call(new_callback_cyclical_learning_rate,
                    modifyList(clr_args, list(step_size = 2000, mode = "exp_range",
                                              gamma = 0.99999)))
replay_epochs(callback, steps_per_epoch = 1000, epochs = 1000)
to_r <- seconds(history <- callback$history)
cat(sprintf("\n2. History of %s iterations handed to R: %.2f s, data frame %.1f MB\n",
            format(nrow(history), big.mark = ","), to_r,
            as.numeric(utils::object.size(history)) / 2^20))

n <- 1e7
cat(sprintf("\n3. clr_schedule() over %s iterations in R (best of 3, target < 0.5 s)\n",
            format(n, big.mark = ",", scientific = FALSE)))
iterations <- seq(0, n - 1)
for (mode in c("triangular", "triangular2", "exp_range")) {
  best <- min(vapply(1:3, function(i) seconds(
    clr_schedule(iterations, step_size = 2000, mode = mode, gamma = 0.99999)
  ), numeric(1)))
  cat(sprintf("   %-12s %6.3f s  (ratio to target %.2f)\n", mode, best, best / 0.5))
}
