# A new session with keras3 alone (kerasclr neither loaded nor importable in
# Python) loads the model trained with kerasclr and trains on.
source(file.path(Sys.getenv("KERASCLR_E2E_SCRIPTS"), "checks.R"))
library(keras3)
out <- Sys.getenv("KERASCLR_E2E_OUT")

reticulate::py_run_string("import sys; sys.modules['kerasclr'] = None")
check("kerasclr is not loaded in R", !"kerasclr" %in% loadedNamespaces())
check("kerasclr cannot be imported in Python",
      inherits(tryCatch(reticulate::import("kerasclr"), error = identity), "error"))

model <- NULL
check("load_model() reads the model trained with kerasclr", {
  model <- load_model(file.path(out, "clr_model.keras"))
  inherits(model, "keras.src.models.model.Model")
})
check("its learning rate can be set", {
  model$optimizer$learning_rate <- 1e-4
  abs(as.numeric(model$optimizer$learning_rate) - 1e-4) < 1e-10
})
data <- boston()
check("fit() with callback_reduce_lr_on_plateau() and a learning-rate scheduler", {
  history <- model |> fit(
    data$x, data$y, validation_data = list(data$x_val, data$y_val), epochs = 3,
    verbose = 0, batch_size = 32,
    callbacks = list(callback_reduce_lr_on_plateau(patience = 1),
                     callback_learning_rate_scheduler(function(epoch, lr) lr)))
  length(history$metrics$loss) == 3L
})
check("export_savedmodel() writes a SavedModel", {
  export_savedmodel(model, file.path(out, "exported"))
  file.exists(file.path(out, "exported", "saved_model.pb"))
})
finish("keras3_reload.R")
