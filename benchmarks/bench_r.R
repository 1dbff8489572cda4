# kerasclr from R, measured in one run:
#
#   Rscript benchmarks/bench_r.R [--rounds 9] [--rows 1e7] [--repeats 3]
#                                [--skip training,schedule,history,plot,state]
#                                [--prefault-gb 4]
#
# 1. Per-step cost of training driven from R through reticulate (MLP
#    32-64-64-1, batch 32, SGD): constant lr, kerasclr's callback, and an R
#    function that sets the rate before every batch (what an R-side
#    per-batch callback costs). Interleaved rounds, order rotated; ratios are
#    the paired median of per-round ratios against constant, and best round
#    over best round.
# 2. clr_schedule() over 10,000,000 iterations (0:(n - 1)) per mode
#    (target < 0.5 s).
# 3. `cb$history` of a CyclicLR with `--rows` rows (replayed without a model,
#    epochs of 10,000 steps): the first access and a second one (target for
#    the second < 1 s at 1e7 rows).
# 4. plot_clr_history(granularity = "iteration") of those rows, drawn into a
#    png device, both backends (target < 3 s at 1e7 rows).
# 5. save_clr_state() / load_clr_state() of that callback: time and file size
#    (targets at 1e7: < 2 s each, < 100 MB).
#
# Before measuring, `--prefault-gb` GB are touched once and freed: on a
# virtual machine the first touch of memory the guest never used costs
# seconds per GB, which would otherwise land on the first large measurement.
# Figures are from one run on one machine: compare them with each other.
suppressPackageStartupMessages(library(kerasclr))

option <- function(name, default) {
  args <- commandArgs(trailingOnly = TRUE)
  at <- match(paste0("--", name), args)
  if (is.na(at) || at == length(args)) default else args[[at + 1L]]
}
rounds <- as.integer(option("rounds", "9"))
rows <- as.numeric(option("rows", "1e7"))
repeats <- as.integer(option("repeats", "3"))
skip <- strsplit(option("skip", ""), ",", fixed = TRUE)[[1]]
prefault_gb <- as.numeric(option("prefault-gb", "4"))
steps_per_epoch <- 10000

seconds <- function(expr) {
  start <- proc.time()[["elapsed"]]
  force(expr)
  proc.time()[["elapsed"]] - start
}
verdict <- function(ok) if (isTRUE(ok)) "PASS" else "MISS"
mb <- function(bytes) as.numeric(bytes) / 2^20
paired_median <- function(x, reference) stats::median(x / reference)

config <- reticulate::py_config()
cat(sprintf("%s, reticulate %s, Python %s (%s), kerasclr %s, load average %s\n",
            R.version.string, utils::packageVersion("reticulate"), config$version,
            config$python, utils::packageVersion("kerasclr"),
            paste(readLines("/proc/loadavg", warn = FALSE), collapse = " ")))
if (prefault_gb > 0) {
  elapsed <- seconds(invisible(rep(1, prefault_gb * 2^30 / 8)))
  invisible(gc())
  cat(sprintf("touched %g GB once before measuring in %.2f s (not counted)\n", prefault_gb,
              elapsed))
}

# -- 1. training driven from R --------------------------------------------------
if (!"training" %in% skip) {
  keras <- reticulate::import("keras")
  steps <- 200L
  clr_args <- list(base_lr = 0.001, max_lr = 0.006, step_size = 100, verbose = 0)
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
  r_setter <- function(model) {
    iteration <- 0
    keras$callbacks$LambdaCallback(on_train_batch_begin = function(batch, logs) {
      rate <- clr_schedule(iteration, base_lr = 0.001, max_lr = 0.006, step_size = 100,
                           dtype = "float64")
      model$optimizer$learning_rate$assign(rate)
      iteration <<- iteration + 1
    })
  }
  variants <- list(
    constant = function(model) list(),
    kerasclr = function(model) list(do.call(new_callback_cyclical_learning_rate, clr_args)),
    r_setter = function(model) list(r_setter(model))
  )
  set.seed(0)
  x <- matrix(rnorm(32 * steps * 32), ncol = 32)
  y <- array(rnorm(32 * steps), dim = c(32 * steps, 1L))
  models <- lapply(variants, function(v) make_model())
  fit <- function(name) {
    models[[name]]$fit(x, y, batch_size = 32L, epochs = 1L, verbose = 0L,
                       callbacks = variants[[name]](models[[name]]))
  }
  for (name in names(variants)) fit(name)  # trace every train function once
  timings <- lapply(variants, function(v) numeric(0))
  for (round in seq_len(rounds)) {
    shift <- (round - 1L) %% length(variants)
    order <- names(variants)[c(seq_along(variants)[-seq_len(shift)], seq_len(shift))]
    for (name in order) {
      timings[[name]] <- c(timings[[name]], seconds(fit(name)) / steps)
    }
  }
  cat(sprintf("\n1. Training driven from R: %d interleaved rounds x %d steps\n", rounds, steps))
  cat(sprintf("   %-10s %9s %9s %20s %6s\n", "variant", "us/step", "best",
              "vs constant median", "best"))
  for (name in names(timings)) {
    values <- timings[[name]]
    cat(sprintf("   %-10s %9.1f %9.1f %20.3f %6.3f\n", name, stats::median(values) * 1e6,
                min(values) * 1e6, paired_median(values, timings$constant),
                min(values) / min(timings$constant)))
  }
}

# -- 2. clr_schedule ----------------------------------------------------------------
if (!"schedule" %in% skip) {
  n <- 1e7
  cat(sprintf("\n2. clr_schedule() over %s iterations (0:(n - 1)), %d calls each, target < 0.5 s\n",
              format(n, big.mark = ",", scientific = FALSE), repeats))
  iterations <- 0:(n - 1)
  cat(sprintf("   %-12s %8s %9s\n", "mode", "best s", "median s"))
  for (mode in c("triangular", "triangular2", "exp_range")) {
    times <- vapply(seq_len(repeats), function(i) seconds(
      clr_schedule(iterations, step_size = 2000, mode = mode, gamma = 0.99999)
    ), numeric(1))
    cat(sprintf("   %-12s %8.3f %9.3f  %s\n", mode, min(times), stats::median(times),
                verdict(min(times) < 0.5)))
  }
}

# -- 3.-5. a large history: access, plot, state ----------------------------------------
if (!all(c("history", "plot", "state") %in% skip)) {
  epochs <- max(1, round(rows / steps_per_epoch))
  rows <- epochs * steps_per_epoch
  at_target <- rows >= 1e7
  mark <- function(ok) if (at_target) paste0("  ", verdict(ok)) else ""
  clr_args <- list(step_size = 2000, mode = "exp_range", gamma = 0.99999, verbose = 0)
  callback <- do.call(new_callback_cyclical_learning_rate, clr_args)
  replay_s <- seconds(replay_epochs(callback, steps_per_epoch = steps_per_epoch,
                                    epochs = epochs))
  label <- format(rows, big.mark = ",", scientific = FALSE)
  cat(sprintf("\nHistory of %s rows (CyclicLR exp_range, %s epochs x %s steps, replayed in %.2f s)\n",
              label, format(epochs, big.mark = ","),
              format(steps_per_epoch, big.mark = ","), replay_s))

  if (!"history" %in% skip) {
    first <- seconds(history <- callback$history)
    second <- seconds(history <- callback$history)
    ok_rows <- nrow(history) == rows
    cat(sprintf("3. cb$history: first access %.2f s, second access %.2f s%s; data frame %.1f MB%s\n",
                first, second, mark(second < 1), mb(utils::object.size(history)),
                if (ok_rows) "" else sprintf("  WRONG: %d rows", nrow(history))))
    rm(history)
    invisible(gc())
  }

  if (!"plot" %in% skip) {
    cat(sprintf("4. plot_clr_history(granularity = \"iteration\") of %s rows into png:\n", label))
    for (backend in c("base", "ggplot2")) {
      if (backend == "ggplot2" && !requireNamespace("ggplot2", quietly = TRUE)) {
        cat("   ggplot2  skipped: ggplot2 is not installed\n")
        next
      }
      file <- tempfile(fileext = ".png")
      grDevices::png(file, width = 800, height = 500)
      elapsed <- seconds({
        plot <- plot_clr_history(callback, granularity = "iteration", backend = backend)
        if (backend == "ggplot2") print(plot)
      })
      grDevices::dev.off()
      unlink(file)
      rm(plot)
      invisible(gc())
      cat(sprintf("   %-8s %7.2f s%s\n", backend, elapsed, mark(elapsed < 3)))
    }
  }

  if (!"state" %in% skip) {
    path <- tempfile(fileext = ".json")
    save_s <- seconds(save_clr_state(callback, path))
    size <- file.size(path)
    fresh <- do.call(new_callback_cyclical_learning_rate, clr_args)
    load_s <- seconds(load_clr_state(fresh, path))
    loaded <- nrow(fresh$history)
    unlink(path)
    cat(sprintf("5. save_clr_state() %.2f s%s, file %.1f MB%s; load_clr_state() %.2f s%s; rows loaded %s%s\n",
                save_s, mark(save_s < 2), mb(size), mark(mb(size) < 100), load_s,
                mark(load_s < 2), format(loaded, big.mark = ","),
                if (loaded == rows) "" else "  WRONG"))
  }
  if (at_target) {
    cat("   targets at 1e7 rows (issue 12): second cb$history < 1 s, plot < 3 s,",
        "save and load < 2 s each, file < 100 MB\n")
  }
}
