# Step 2 of the demo: both runs trained from R, through
# new_callback_cyclical_learning_rate() and Keras driven by reticulate.
# Writes r_<run>_history.csv, r_<run>_history_epoch.csv and the R plots.
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args)) args[[1]] else "output/demo"
settings <- jsonlite::read_json("demo/runs.json", simplifyVector = TRUE)

suppressPackageStartupMessages(library(kerasclr))
source("demo/csv.R")
keras <- reticulate::import("keras")

source("demo/model.R")
train <- read_split(file.path(out, "boston_train.csv"))
valid <- read_split(file.path(out, "boston_valid.csv"))

progress <- function(run, epochs) {
  every <- if (epochs > 10) 10L else 1L
  keras$callbacks$LambdaCallback(on_epoch_end = function(epoch, logs) {
    if ((epoch + 1L) %% every == 0L) {
      cat(sprintf("[R] %-7s epoch %2d/%d  loss %8.3f  val_loss %8.3f\n", run, epoch + 1L,
                  epochs, logs$loss, logs$val_loss))
    }
  })
}

save_png <- function(path, draw) {
  grDevices::png(path, width = 900, height = 500, res = 110)
  on.exit(grDevices::dev.off())
  draw()
  cat(sprintf("[R] plot: %s\n", path))
}

for (run in names(settings$runs)) {
  spec <- settings$runs[[run]]
  callback_clr <- do.call(new_callback_cyclical_learning_rate,
                          c(spec$clr, list(verbose = 0)))
  model <- build_model(ncol(train$x), settings$seed)
  model$fit(train$x, train$y, validation_data = list(valid$x, valid$y),
            batch_size = as.integer(settings$batch_size), epochs = as.integer(spec$epochs),
            shuffle = TRUE, verbose = 0L,
            callbacks = list(callback_clr, progress(run, spec$epochs)))
  write_table(callback_clr$history, file.path(out, sprintf("r_%s_history.csv", run)))
  write_table(callback_clr$history_epoch, file.path(out, sprintf("r_%s_history_epoch.csv", run)))
  save_png(file.path(out, sprintf("r_%s_base.png", run)), function() {
    plot_clr_history(callback_clr, granularity = "iteration", backend = "base")
  })
  save_png(file.path(out, sprintf("r_%s_ggplot2.png", run)), function() {
    print(plot_clr_history(callback_clr, granularity = "iteration", backend = "ggplot2"))
  })
}
