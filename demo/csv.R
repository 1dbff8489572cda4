# CSV helpers of the demo scripts: tables cross from R to Python and back as
# CSV, so doubles are written with 17 significant digits (R's write.csv keeps
# 15, which would change the learning rates), and the "True"/"False" that
# pandas writes are read back as logicals.
write_table <- function(table, path) {
  doubles <- vapply(table, is.double, logical(1))
  table[doubles] <- lapply(table[doubles], function(x) {
    ifelse(is.na(x), NA, sprintf("%.17g", x))
  })
  utils::write.csv(table, path, row.names = FALSE, quote = FALSE, na = "NA")
}

read_table <- function(path) {
  table <- utils::read.csv(path)
  flags <- vapply(table, function(x) is.character(x) && all(x %in% c("True", "False")),
                  logical(1))
  table[flags] <- lapply(table[flags], function(x) x == "True")
  table
}
