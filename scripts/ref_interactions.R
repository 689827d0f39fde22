# ref_interactions.R: R reference for `mqlcal fit --interactions` (tests/cli/test_compound.sh and
# tests/unit/test_interact.c). Run from the project root after `make`:
#   Rscript scripts/ref_interactions.R
# It generates the leads with build/tools/gen_leads (40,000 leads, seed 14: a true job_level x
# employees interaction of weight 1.0, and the same model with weight 0), rebuilds mqlcal's encoding in R (the default
# encoding of scripts/ref_fit.R, with employees binned at 100 by --cuts employees=100), and writes
#   tests/fixtures/compound/interaction.ref   glm with main effects + job_level:employees
#   tests/fixtures/compound/screen.ref        the LR statistic (deviance drop) and df of every
#                                             candidate pair mqlcal screens, on both datasets
# Interaction columns are the products of the two features' term columns (treatment coding: R's
# model.matrix for a:b with both main effects present gives the same columns), labelled as mqlcal
# labels them: "job_level=VP:employees=[100,inf)". As in mqlcal, a product column is added only
# when at least 10 leads (--min-level-count) have it and they neither all converted nor all did
# not (a cell that would separate scores by its main effects alone).
suppressPackageStartupMessages(library(data.table))

gen <- function(seed, w, path) {
  st <- system2("build/tools/gen_leads",
                c("--rows", "40000", "--seed", seed, "--interaction", w, "-o", path))
  if (st != 0) stop("gen_leads failed (run make first)")
  fread(path, na.strings = c("", "Select", "unknown"),
        colClasses = list(character = c("job_level", "industry", "lead_source",
                                        "email_domain_type", "case_study_download",
                                        "webinar_attended")))
}

# Term columns of one feature, in mqlcal's term order (design.h).
terms_of <- function(v, name, kind, min_count = 10) {
  cols <- list()
  miss <- is.na(v)
  if (kind == "num") {
    x <- as.numeric(v); x[miss] <- 0
    cols[[name]] <- x
  } else if (startsWith(kind, "cut:")) {
    cut <- as.numeric(sub("cut:", "", kind))
    cols[[sprintf("%s=[%s,inf)", name, format(cut))]] <- as.numeric(!miss & v >= cut)
  } else if (startsWith(kind, "bool:")) {
    cols[[name]] <- as.numeric(!miss & v == sub("bool:", "", kind))
  } else {
    tab <- table(v[!miss])
    lev <- names(tab)[order(-as.integer(tab), names(tab), method = "radix")]
    rest <- lev[-1]
    pooled <- rest[tab[rest] < min_count]
    for (l in setdiff(rest, pooled))
      cols[[paste0(name, "=", l)]] <- as.numeric(!miss & v == l)
    if (length(pooled)) cols[[paste0(name, "=(other)")]] <- as.numeric(!miss & v %in% pooled)
  }
  if (any(miss)) cols[[paste0(name, "=(missing)")]] <- as.numeric(miss)
  cols
}

spec <- list(job_level = "cat", employees = "cut:100", industry = "cat", lead_source = "cat",
             email_domain_type = "cat", pricing_page_visits = "num",
             case_study_download = "bool:yes", webinar_attended = "bool:True",
             content_downloads = "num", email_opens = "num", email_clicks = "num",
             days_since_last_activity = "num")
# groups as mqlcal assigns them (group.c: job level, size, industry, source and domain are
# attributes, so fit; downloads and webinars are engagement)
fit_features <- c("job_level", "employees", "industry", "lead_source", "email_domain_type")
eng_categorical <- c("case_study_download", "webinar_attended")

main_terms <- function(d) {
  out <- list()
  for (nm in names(spec)) out[[nm]] <- terms_of(d[[nm]], nm, spec[[nm]])
  out
}

product <- function(ta, tb, y, min_count = 10) {
  cols <- list()
  for (a in names(ta)) for (b in names(tb)) {
    x <- ta[[a]] * tb[[b]]
    n <- sum(x); e <- sum(x * y)
    if (n >= min_count && e > 0 && e < n) cols[[paste0(a, ":", b)]] <- x
  }
  cols
}

fit_cols <- function(cols, y) {
  X <- do.call(cbind, cols)
  colnames(X) <- names(cols)
  glm(y ~ 0 + X, family = binomial(), control = glm.control(epsilon = 1e-8, maxit = 25))
}

# Candidate pairs in mqlcal's order: features in table order, a before b; fit x fit and
# fit x engagement among the categorical / boolean / binned features.
candidates <- function() {
  feats <- names(spec)
  ok <- c(fit_features, eng_categorical)
  out <- list()
  for (i in seq_along(feats)) for (j in seq_along(feats)) {
    a <- feats[i]; b <- feats[j]
    if (j <= i || !(a %in% ok) || !(b %in% ok)) next
    if (!(a %in% fit_features) && !(b %in% fit_features)) next
    out[[length(out) + 1]] <- c(a, b)
  }
  out
}

dir.create("tests/fixtures/compound", showWarnings = FALSE, recursive = TRUE)
tmp <- tempfile(fileext = ".csv")
con <- file("tests/fixtures/compound/screen.ref", "w")
writeLines(c("# LR screening of two-way interactions: dataset, pair, df (columns added minus",
             "# aliased ones), LR = deviance(main) - deviance(main + pair)",
             sprintf("# R %s, glm(binomial), epsilon 1e-8; produced by scripts/ref_interactions.R",
                     getRversion())), con)
for (ds in list(c("true", "1"), c("null", "0"))) {
  d <- gen("14", ds[2], tmp)
  y <- d$closed_won
  mt <- main_terms(d)
  base <- c(list(`(Intercept)` = rep(1, nrow(d))), do.call(c, unname(mt)))
  f0 <- fit_cols(base, y)
  for (pr in candidates()) {
    f1 <- fit_cols(c(base, product(mt[[pr[1]]], mt[[pr[2]]], y)), y)
    writeLines(sprintf("screen\t%s\t%s:%s\t%d\t%.17g", ds[1], pr[1], pr[2],
                       f1$rank - f0$rank, deviance(f0) - deviance(f1)), con)
  }
  if (ds[1] == "true") {
    cols <- c(base, product(mt$job_level, mt$employees, y))
    fit <- fit_cols(cols, y)
    s <- summary(fit)$coefficients
    b <- coef(fit); names(b) <- names(cols)
    se <- rep(NA_real_, length(b)); names(se) <- names(cols)
    se[sub("^X", "", rownames(s))] <- s[, 2]
    rc <- file("tests/fixtures/compound/interaction.ref", "w")
    writeLines(c("# gen_leads --rows 40000 --seed 14 --interaction 1; outcome closed_won;",
                 "# default encoding, --cuts employees=100, main effects + job_level:employees",
                 sprintf("# R %s, glm(binomial), epsilon 1e-8; produced by scripts/ref_interactions.R",
                         getRversion()),
                 sprintf("deviance\t%.17g", deviance(fit)),
                 sprintf("null_deviance\t%.17g", deviance(glm(y ~ 1, family = binomial()))),
                 sprintf("aic\t%.17g", AIC(fit)),
                 sprintf("iterations\t%d", fit$iter)), rc)
    for (j in seq_along(b))
      writeLines(sprintf("term\t%s\t%s\t%s", names(b)[j],
                         if (is.na(b[j])) "NA" else sprintf("%.17g", b[j]),
                         if (is.na(se[j])) "NA" else sprintf("%.17g", se[j])), rc)
    close(rc)
  }
}
close(con)
unlink(tmp)
