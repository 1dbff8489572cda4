# A keras3 user's session: the KerasMisc README example with keras3 and
# kerasclr installed from its tarball, in a Python that has no kerasclr
# installed (tools/e2e-keras3.sh). Writes clr_model.keras for the next step.
source(file.path(Sys.getenv("KERASCLR_E2E_SCRIPTS"), "checks.R"))
library(keras3)
library(kerasclr)

check("reticulate >= 1.41 (py_require) is the one in use",
      utils::packageVersion("reticulate") >= "1.41")
check("kerasclr declared keras, numpy and pandas with py_require()",
      all(c("keras", "numpy", "pandas") %in% reticulate::py_require()$packages))

data <- boston()
keras3::set_random_seed(1)
model <- keras_model_sequential(input_shape = 13) |>
  layer_dense(units = 64, activation = "relu") |>
  layer_dense(units = 64, activation = "relu") |>
  layer_dense(units = 1)
model |> compile(optimizer = optimizer_rmsprop(learning_rate = 0.001), loss = "mse",
                 metrics = c("mae"))

callback_clr <- new_callback_cyclical_learning_rate(
  step_size = 32,
  base_lr = 0.001,
  max_lr = 0.006,
  gamma = 0.99,
  mode = "exp_range"
)
model |> fit(
  data$x, data$y,
  validation_data = list(data$x_val, data$y_val),
  epochs = 10, verbose = 0, batch_size = 32,
  callbacks = list(callback_clr)
)

python <- reticulate::py_config()$python
check("R uses the Python of RETICULATE_PYTHON",
      identical(normalizePath(python), normalizePath(Sys.getenv("RETICULATE_PYTHON"))))
core <- reticulate::import("kerasclr")
check("the Python core comes from the R package's own folder",
      startsWith(normalizePath(core$`__file__`),
                 normalizePath(system.file("python", package = "kerasclr"))))
check("10 epochs of 13 batches in $history, starting at base_lr",
      nrow(callback_clr$history) == 130L &&
        abs(callback_clr$history$lr[1] - 0.001) < 1e-9)
check("$history_epoch has the logs and the band",
      all(c("loss", "mae", "val_loss", "val_mae", "epoch", "base_lr", "max_lr", "lr") %in%
            names(callback_clr$history_epoch)))
check("the exp_range schedule was applied (clr_schedule agrees)",
      isTRUE(all.equal(callback_clr$history$lr,
                       clr_schedule(0:129, base_lr = 0.001, max_lr = 0.006,
                                    step_size = 32, mode = "exp_range", gamma = 0.99))))

out <- Sys.getenv("KERASCLR_E2E_OUT")
png(file.path(out, "plot_clr_history.png"))
plot <- plot_clr_history(callback_clr = callback_clr)
print(plot)
dev.off()
check("plot_clr_history(callback_clr = ...) gives a ggplot", inherits(plot, "ggplot"))
check("trans_y_axis takes any ggplot2 transformation (\"log2\")",
      inherits(plot_clr_history(callback_clr, "iteration", trans_y_axis = "log2"), "ggplot"))

# Errors raised by the callback inside keras3's fit() read in R terms.
no_validation <- new_callback_cyclical_learning_rate(patience = 3, verbose = 0)
message <- error_message(model |> fit(data$x, data$y, epochs = 1, verbose = 0,
                                      callbacks = list(no_validation)))
cat("        (message: ", message, ")\n", sep = "")
check("an error inside fit() names the problem",
      grepl("`patience` is 3", message, fixed = TRUE))
check("... in R terms: no Python class, no py_last_error() hint, R syntax",
      !grepl("Error|py_last_error|Traceback", message) &&
        grepl("patience = Inf", message, fixed = TRUE) &&
        !grepl("float('inf')", message, fixed = TRUE))

# Any kerasclr error raised in fit() gives its R wording, nothing else.
main <- reticulate::py_run_string(paste(
  "import keras",
  "from kerasclr.errors import KerasclrError",
  "class RefuseToTrain(keras.callbacks.Callback):",
  "    def on_train_begin(self, logs=None):",
  "        raise KerasclrError('Python wording', 'R wording: use `patience = Inf`.')",
  sep = "\n"), convert = FALSE)
error <- tryCatch(model |> fit(data$x, data$y, epochs = 1, verbose = 0,
                               callbacks = list(main$RefuseToTrain())),
                  error = identity)
check("a KerasclrError inside keras3's fit() is its R wording, with no call",
      identical(conditionMessage(error), "R wording: use `patience = Inf`.") &&
        is.null(conditionCall(error)))

# ReduceLROnPlateau in the same fit(): kerasclr refuses before any batch,
# naming both and pointing to its own patience/factor.
clr <- new_callback_cyclical_learning_rate(step_size = 32, verbose = 0)
message <- error_message(model |> fit(
  data$x, data$y, validation_data = list(data$x_val, data$y_val), epochs = 1,
  verbose = 0, callbacks = list(clr, callback_reduce_lr_on_plateau())))
cat("        (message: ", message, ")\n", sep = "")
check("ReduceLROnPlateau in the same fit(): a kerasclr error naming both, in R terms",
      grepl("callback_reduce_lr_on_plateau()", message, fixed = TRUE) &&
        grepl("new_callback_cyclical_learning_rate()", message, fixed = TRUE) &&
        grepl("`patience`", message, fixed = TRUE) &&
        !grepl("Error|py_last_error|Traceback", message))
check("... raised at train begin, before any batch", nrow(clr$history) == 0L)

# After fit() the optimizer is a plain Keras optimizer again.
check("the learning rate can be set after fit()", {
  model$optimizer$learning_rate <- 1e-4
  abs(as.numeric(model$optimizer$learning_rate) - 1e-4) < 1e-10
})
save_model(model, file.path(out, "clr_model.keras"), overwrite = TRUE)

# A checkpoint written during a fit with kerasclr (keras3_checkpoint.R loads it).
checkpoint <- file.path(out, "checkpoint.keras")
check("ModelCheckpoint in a fit() with kerasclr writes a checkpoint", {
  model |> fit(data$x, data$y, epochs = 2, verbose = 0, batch_size = 32, callbacks = list(
    new_callback_cyclical_learning_rate(step_size = 8, verbose = 0),
    callback_model_checkpoint(checkpoint)))
  file.exists(checkpoint)
})
check("save_model() wrote clr_model.keras", file.exists(file.path(out, "clr_model.keras")))
finish("keras3_train.R")
