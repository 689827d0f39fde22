# ref_fit.R: R reference fits for tests/unit/test_fit_ref.c (mqlcal's default encoding rebuilt in
# R, then glm(binomial)). Run from the project root:  Rscript scripts/ref_fit.R
# Writes tests/fixtures/fit/{synthetic,bank,agg}.ref and tests/fixtures/fit/bank-agg.csv.
# Encoding (mqlcal design.h): placeholders are missing; a categorical column is treatment coded
# against its most frequent level, levels with fewer than 10 rows pool into "(other)", missing
# cells get a "(missing)" indicator; a boolean is an indicator of its true value plus
# "(missing)"; a numeric column is linear with missing imputed 0 and a "(missing)" indicator.
# Terms are named as mqlcal names them so the test matches by label.
suppressPackageStartupMessages(library(data.table))

encode <- function(d, spec, min_count = 10, ref_first = FALSE) {
  cols <- list(`(Intercept)` = rep(1, nrow(d)))
  for (name in names(spec)) {
    v <- d[[name]]
    miss <- is.na(v)
    kind <- spec[[name]]
    if (kind == "num") {
      x <- as.numeric(v); x[miss] <- 0
      cols[[name]] <- x
    } else if (startsWith(kind, "bool:")) {
      cols[[name]] <- as.numeric(!miss & v == sub("bool:", "", kind))
    } else {
      tab <- table(v[!miss])
      lev <- names(tab)[order(-as.integer(tab), names(tab), method = "radix")]
      ref <- if (ref_first) sort(names(tab), method = "radix")[1] else lev[1]
      rest <- setdiff(lev, ref)
      pooled <- rest[tab[rest] < min_count]
      for (l in setdiff(rest, pooled))
        cols[[paste0(name, "=", l)]] <- as.numeric(!miss & v == l)
      if (length(pooled)) cols[[paste0(name, "=(other)")]] <- as.numeric(!miss & v %in% pooled)
    }
    if (any(miss)) cols[[paste0(name, "=(missing)")]] <- as.numeric(miss)
  }
  X <- do.call(cbind, cols)
  colnames(X) <- names(cols)
  X
}

write_ref <- function(path, X, y, w = NULL, what) {
  if (is.null(w)) w <- rep(1, length(y))
  fit <- glm(y ~ 0 + X, family = binomial(), weights = w,
             control = glm.control(epsilon = 1e-8, maxit = 25))
  # "0 + X" keeps R's names; its null deviance is that of p = 1/2, so the intercept-only model
  # is fitted separately below.
  s <- summary(fit)$coefficients
  b <- coef(fit)
  names(b) <- colnames(X)
  se <- rep(NA_real_, length(b)); names(se) <- colnames(X)
  se[sub("^X", "", rownames(s))] <- s[, 2]
  con <- file(path, "w")
  writeLines(c(sprintf("# %s", what),
               sprintf("# R %s, glm(binomial), epsilon 1e-8; produced by scripts/ref_fit.R",
                       getRversion()),
               sprintf("deviance\t%.17g", deviance(fit)),
               sprintf("null_deviance\t%.17g", deviance(glm(y ~ 1, family = binomial(),
                                                            weights = w))),
               sprintf("aic\t%.17g", AIC(fit)),
               sprintf("iterations\t%d", fit$iter)), con)
  for (j in seq_along(b))
    writeLines(sprintf("term\t%s\t%s\t%s", names(b)[j],
                       if (is.na(b[j])) "NA" else sprintf("%.17g", b[j]),
                       if (is.na(se[j])) "NA" else sprintf("%.17g", se[j])), con)
  close(con)
}

dir.create("tests/fixtures/fit", showWarnings = FALSE, recursive = TRUE)

# (a) synthetic leads: every column but the id, dates, leaks (close_date, sql_date, acv) and
# became_sql; "Select" / "unknown" are mqlcal placeholders.
s <- fread("datasets/synthetic-leads.csv", na.strings = c("", "Select", "unknown"),
           colClasses = list(character = c("job_level", "industry", "lead_source",
                                           "email_domain_type", "case_study_download",
                                           "webinar_attended")))
spec_s <- list(job_level = "cat", employees = "num", industry = "cat", lead_source = "cat",
               email_domain_type = "cat", pricing_page_visits = "num",
               case_study_download = "bool:yes", webinar_attended = "bool:True",
               content_downloads = "num", email_opens = "num", email_clicks = "num",
               days_since_last_activity = "num")
write_ref("tests/fixtures/fit/synthetic.ref", encode(s, spec_s), s$closed_won,
          what = "datasets/synthetic-leads.csv, outcome closed_won, default encoding")

# (b) bank marketing: every column but duration; "unknown" is missing.
# (fread leaves quoted cells alone with na.strings, and every text cell of this file is quoted.)
b <- fread("datasets/bank-marketing/bank-additional-full.csv")
for (nm in names(b)) if (is.character(b[[nm]])) set(b, which(b[[nm]] == "unknown"), nm, NA)
num <- c("age", "campaign", "pdays", "previous", "emp.var.rate", "cons.price.idx",
         "cons.conf.idx", "euribor3m", "nr.employed")
spec_b <- list()
for (nm in setdiff(names(b), c("duration", "y")))
  spec_b[[nm]] <- if (nm %in% num) "num" else if (nm %in% c("default", "housing", "loan"))
    "bool:yes" else "cat"
yb <- as.numeric(b$y == "yes")
write_ref("tests/fixtures/fit/bank.ref", encode(b, spec_b), yb,
          what = "bank-additional-full.csv, outcome y=yes, all columns but duration")

# (c) aggregated: job, marital, contact, poutcome and y grouped with a count column; the fit
# with --weight count must equal the fit on the raw rows. Reference = byte-order first level
# and no pooling, because mqlcal chooses references by rows of the file it is given.
raw <- fread("datasets/bank-marketing/bank-additional-full.csv", na.strings = NULL)
agg <- raw[, .(count = .N), by = .(job, marital, contact, poutcome, y)]
setorder(agg, job, marital, contact, poutcome, y)
fwrite(agg, "tests/fixtures/fit/bank-agg.csv")
spec_c <- list(job = "cat", marital = "cat", contact = "cat", poutcome = "cat")
write_ref("tests/fixtures/fit/agg.ref", encode(b, spec_c, min_count = 0, ref_first = TRUE), yb,
          what = "bank raw rows, features job marital contact poutcome, reference first, no pooling")
# The same model on the aggregated rows: identical MLE and deviance, but IRLS starts from other
# values (mustart per row), so the SEs (taken at the last IRLS weights) differ in the 5th digit.
a <- copy(agg)
for (nm in names(a)) if (is.character(a[[nm]])) set(a, which(a[[nm]] == "unknown"), nm, NA)
write_ref("tests/fixtures/fit/agg-weighted.ref", encode(a, spec_c, min_count = 0, ref_first = TRUE),
          as.numeric(a$y == "yes"), w = a$count,
          what = "tests/fixtures/fit/bank-agg.csv with weights = count (same model as agg.ref)")
