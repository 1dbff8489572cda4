# Which Python does a session use, with kerasclr and keras3 loaded in the order
# given by KERASCLR_E2E_ORDER ("kerasclr,keras3" or "keras3,kerasclr" or
# "kerasclr")? WORKON_HOME holds "r-kerasclr" (install_kerasclr()'s) and
# possibly keras3's "r-keras"; KERASCLR_E2E_WANT names the one expected
# (tools/e2e-keras3.sh).
source(file.path(Sys.getenv("KERASCLR_E2E_SCRIPTS"), "checks.R"))
order <- strsplit(Sys.getenv("KERASCLR_E2E_ORDER"), ",")[[1]]
want <- Sys.getenv("KERASCLR_E2E_WANT")
for (package in order) library(package, character.only = TRUE)
label <- sprintf("%s, reticulate %s", paste(order, collapse = " then "),
                 utils::packageVersion("reticulate"))
invisible(reticulate::import("keras"))
check(sprintf("[%s] importing keras imports kerasclr's core (for load_model())", label),
      "kerasclr" %in% names(reticulate::import("sys")$modules))
check(sprintf("[%s] kerasclr works", label), kerasclr::kerasclr_available())
prefix <- reticulate::import("sys")$prefix
check(sprintf("[%s] the session uses \"%s\" (uses %s)", label, want, prefix),
      normalizePath(prefix) == normalizePath(file.path(Sys.getenv("WORKON_HOME"), want)))
finish("env_order.R")
