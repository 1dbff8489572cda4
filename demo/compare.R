# Step 4 of the demo: compare the R and Python runs with compare_clr_histories()
# and print one small table; every per-column comparison goes to a CSV.
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args)) args[[1]] else "output/demo"
settings <- jsonlite::read_json("demo/runs.json", simplifyVector = TRUE)
suppressPackageStartupMessages(library(kerasclr))
source("demo/csv.R")

read_history <- function(prefix, table) {
  read_table(file.path(out, sprintf("%s_%s.csv", prefix, table)))
}

rows <- list()
for (run in names(settings$runs)) {
  for (table in c("history", "history_epoch")) {
    r <- read_history(paste0("r_", run), table)
    # R's run against the Python run, and against Python's replay of R's val_loss.
    pairs <- list(python = read_history(paste0("py_", run), table),
                  replay = read_history(paste0("replay_", run), table))
    for (against in names(pairs)) {
      other <- pairs[[against]]
      # A replay has no training logs: compare the columns both tables have.
      shared <- intersect(names(r), names(other))
      result <- compare_clr_histories(r[shared], other[shared])
      write_table(as.data.frame(unclass(result)),
                  file.path(out, sprintf("compare_%s_%s_%s.csv", run, table, against)))
      logs <- result[!result$schedule, ]
      rows[[length(rows) + 1L]] <- data.frame(
        run = run, table = table, r_vs = against, rows = attr(result, "rows"),
        schedule_columns = if (attr(result, "schedule_identical")) "identical" else "DIFFERENT",
        max_rel_diff_lr = result$max_rel_diff[result$column == "lr"],
        max_rel_diff_logs = if (nrow(logs)) max(logs$max_rel_diff) else NA_real_,
        check.names = FALSE)
    }
  }
}
summary <- do.call(rbind, rows)
write_table(summary, file.path(out, "comparison.csv"))
cat("\nR and Python runs compared with compare_clr_histories():\n\n")
options(width = 120)
print(format(summary, digits = 3), row.names = FALSE)
cat(sprintf("\n[compare] tables: %s/compare_*.csv, summary: %s\n", out,
            file.path(out, "comparison.csv")))
cycle_ok <- all(summary$schedule_columns[summary$run == "cycle"] == "identical")
replay_ok <- all(summary$schedule_columns[summary$r_vs == "replay"] == "identical")
if (!cycle_ok || !replay_ok) {
  stop("The schedule columns differ where they must be identical (cycle run, replays).",
       call. = FALSE)
}
