# A new session with keras3 and library(kerasclr) alone (no kerasclr function
# called) loads a checkpoint written during a fit with kerasclr and trains on.
source(file.path(Sys.getenv("KERASCLR_E2E_SCRIPTS"), "checks.R"))
library(keras3)
library(kerasclr)
out <- Sys.getenv("KERASCLR_E2E_OUT")
data <- boston()
model <- NULL
check("load_model() reads the checkpoint (compile = TRUE)", {
  model <- load_model(file.path(out, "checkpoint.keras"))
  inherits(model, "keras.src.models.model.Model")
})
check("... and it trains on, with a new kerasclr callback", {
  clr <- new_callback_cyclical_learning_rate(step_size = 8, verbose = 0)
  model |> fit(data$x, data$y, epochs = 1, verbose = 0, batch_size = 32,
               callbacks = list(clr))
  nrow(clr$history) == 13L
})
finish("keras3_checkpoint.R")
