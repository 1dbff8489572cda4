# Step 5 of the demo: the LR range test on the same data, from R, and its
# suggested band fed straight into a CLR run. Writes range_test.csv,
# range_test.png and range_test_clr_history*.csv.
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args)) args[[1]] else "output/demo"
settings <- jsonlite::read_json("demo/runs.json", simplifyVector = TRUE)
suppressPackageStartupMessages(library(kerasclr))
source("demo/csv.R")
source("demo/model.R")

train <- read_split(file.path(out, "boston_train.csv"))
valid <- read_split(file.path(out, "boston_valid.csv"))
model <- build_model(ncol(train$x), settings$seed)

cat("[R] range test: 200 steps, lr from 1e-5 to 1 (exponential sweep)\n")
result <- lr_range_test(model, train$x, train$y, min_lr = 1e-5, max_lr = 1, steps = 200,
                        batch_size = as.integer(settings$batch_size))
print(result)
write_table(result$history, file.path(out, "range_test.csv"))
grDevices::png(file.path(out, "range_test.png"), width = 900, height = 500, res = 110)
print(plot_lr_range_test(result))
invisible(grDevices::dev.off())
cat(sprintf("[R] plot: %s\n", file.path(out, "range_test.png")))

# The weights were restored: train the same model with the suggested band.
callback_clr <- do.call(new_callback_cyclical_learning_rate,
                        c(result$suggestion, list(step_size = 32, verbose = 0)))
invisible(model$fit(train$x, train$y, validation_data = list(valid$x, valid$y),
          batch_size = as.integer(settings$batch_size), epochs = 10L, verbose = 0L,
          callbacks = list(callback_clr)))
epochs <- callback_clr$history_epoch
cat(sprintf("[R] CLR with the suggested band (%.3g .. %.3g): val_loss %.2f after 10 epochs\n",
            result$suggestion$base_lr, result$suggestion$max_lr, tail(epochs$val_loss, 1)))
write_table(callback_clr$history, file.path(out, "range_test_clr_history.csv"))
write_table(epochs, file.path(out, "range_test_clr_history_epoch.csv"))
