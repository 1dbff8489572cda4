# The data and model of the demo's R scripts.
read_split <- function(path) {
  d <- read_table(path)
  list(x = as.matrix(d[setdiff(names(d), "medv")]),
       y = array(d$medv, dim = c(nrow(d), 1L)))  # an R vector would reach Python as a list
}

# The KerasMisc README model: dense 64-64-1 relu, rmsprop, mse, mae.
build_model <- function(features, seed) {
  keras <- reticulate::import("keras")
  keras$utils$set_random_seed(as.integer(seed))
  model <- keras$Sequential(list(
    keras$Input(shape = list(features)),
    keras$layers$Dense(64L, activation = "relu"),
    keras$layers$Dense(64L, activation = "relu"),
    keras$layers$Dense(1L)
  ))
  model$compile(optimizer = keras$optimizers$RMSprop(), loss = "mse",
                metrics = list("mae"))
  model
}
