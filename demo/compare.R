# Step 4 of the demo: compare the R and Python runs with compare_clr_histories()
# and print one small table; every per-column comparison goes to a CSV.
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args)) args[[1]] else "output/demo"
settings <- jsonlite::read_json("demo/runs.json", simplifyVector = TRUE)
suppressPackageStartupMessages(library(kerasclr))

read_table <- function(prefix, table) {
  utils::read.csv(file.path(out, sprintf("%s_%s.csv", prefix, table)))
}

rows <- list()
for (run in names(settings$runs)) {
  for (table in c("history", "history_epoch")) {
    r <- read_table(paste0("r_", run), table)
    pairs <- list("R vs Python" = read_table(paste0("py_", run), table),
                  "R vs Python replay of R's val_loss" = read_table(paste0("replay_", run), table))
    for (what in names(pairs)) {
      other <- pairs[[what]]
      # A replay has no training logs: compare the columns both tables have.
      shared <- intersect(names(r), names(other))
      result <- compare_clr_histories(r[shared], other[shared])
      utils::write.csv(result, file.path(out, sprintf("compare_%s_%s_%s.csv", run, table,
                                                      if (grepl("replay", what)) "replay" else "python")),
                       row.names = FALSE)
      logs <- result[!result$schedule, ]
      rows[[length(rows) + 1L]] <- data.frame(
        run = run, table = table, comparison = what, rows = attr(result, "rows"),
        schedule_columns = if (attr(result, "schedule_identical")) "identical" else "DIFFERENT",
        max_rel_diff_lr = result$max_rel_diff[result$column == "lr"],
        max_rel_diff_logs = if (nrow(logs)) max(logs$max_rel_diff) else NA_real_,
        check.names = FALSE)
    }
  }
}
summary <- do.call(rbind, rows)
utils::write.csv(summary, file.path(out, "comparison.csv"), row.names = FALSE)
cat("\nR and Python runs compared with compare_clr_histories():\n\n")
print(format(summary, digits = 3), row.names = FALSE)
cat(sprintf("\n[compare] tables: %s/compare_*.csv, summary: %s\n", out,
            file.path(out, "comparison.csv")))
cycle_ok <- all(summary$schedule_columns[summary$run == "cycle"] == "identical")
replay_ok <- all(summary$schedule_columns[grepl("replay", summary$comparison)] == "identical")
if (!cycle_ok || !replay_ok) {
  stop("The schedule columns differ where they must be identical (cycle run, replays).",
       call. = FALSE)
}
