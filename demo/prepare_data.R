# Step 1 of the demo: the Boston housing data that R's MASS package ships,
# split as in KerasMisc's README (first 404 rows train, the other 102
# validation), 13 features standardised with the training rows' mean and sd.
# Writes boston_train.csv and boston_valid.csv, which both languages read.
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args)) args[[1]] else "output/demo"
dir.create(out, recursive = TRUE, showWarnings = FALSE)

boston <- MASS::Boston
features <- setdiff(names(boston), "medv")
train <- boston[1:404, ]
valid <- boston[405:nrow(boston), ]
centre <- colMeans(train[features])
spread <- vapply(train[features], stats::sd, numeric(1))
standardise <- function(d) {
  d[features] <- scale(d[features], center = centre, scale = spread)
  d
}
utils::write.csv(standardise(train), file.path(out, "boston_train.csv"), row.names = FALSE)
utils::write.csv(standardise(valid), file.path(out, "boston_valid.csv"), row.names = FALSE)
cat(sprintf("[data] MASS::Boston: %d training rows, %d validation rows, %d features -> %s\n",
            nrow(train), nrow(valid), length(features), out))
