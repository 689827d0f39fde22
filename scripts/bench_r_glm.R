# bench_r_glm.R: R reference timing for scripts/bench: data.table::fread + glm(binomial) on the
# numeric benchmark file (x1..xK, closed_won). Prints read/fit seconds and the residual deviance
# so mqlcal's fit on the same file can be checked against it.
#   Rscript scripts/bench_r_glm.R FILE
suppressPackageStartupMessages(library(data.table))
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 1) stop("usage: Rscript scripts/bench_r_glm.R FILE")
t0 <- proc.time()[["elapsed"]]
d <- fread(args[1], showProgress = FALSE)
t1 <- proc.time()[["elapsed"]]
m <- glm(closed_won ~ ., family = binomial(), data = d)
t2 <- proc.time()[["elapsed"]]
cat(sprintf("R %s data.table %s: read %.2f s, glm %.2f s, rows %d, iterations %d, deviance %.6f, intercept %.6f\n",
            getRversion(), packageVersion("data.table"), t1 - t0, t2 - t1, nrow(d), m$iter,
            deviance(m), coef(m)[[1]]))
