# ref_firth.R: R references for Firth's penalized logistic regression (tests/unit/test_firth.c).
# Run from the project root:  Rscript scripts/ref_firth.R
# Writes tests/fixtures/firth/{b2b,b2b_pooled,bank,complete}.ref and tests/fixtures/firth/complete.csv.
#
# The design is mqlcal's default encoding rebuilt in R by encode() from scripts/ref_fit.R (sourced
# below, so both scripts build the same columns with the same labels). Aliased columns (R's NA in
# glm) are dropped before the Firth fit, as mqlcal drops them.
#
# Objective (Firth 1993; Heinze & Schemper 2002): maximise the penalized log-likelihood
#   l*(beta) = l(beta) + 1/2 log det I(beta),  I(beta) = X' W X,  W = diag(w mu (1 - mu)),
# l the binomial log-likelihood with frequency weights w. Two references for the estimate:
#  - brglm2: glm(y ~ 0 + X, family = binomial, method = "brglmFit", type = "AS_mean"), which for
#    the logit link solves the same adjusted score equations;
#  - newton_max(): a step-halving Newton on the modified score U*(beta) = X'(w (y - mu) + h (1/2 - mu)),
#    h the diagonal of the hat matrix W^1/2 X I^-1 X' W^1/2, as logistf does.
# The fixture takes brglm2's estimate when brglm2 converges and agrees with newton_max() to 1e-8,
# and newton_max()'s otherwise; the "reference" line says which. Profile penalized-likelihood
# intervals (logistf's definition: the beta_j where 2 (l*max - max_{beta_-j} l*) = qchisq(.95, 1),
# the penalty kept at the full model's information) and penalized likelihood-ratio p-values are
# computed by newton_max() with beta_j fixed. FLIC (Puhr et al. 2017): the intercept refitted by
# maximum likelihood with the Firth linear predictor minus its intercept as an offset.
suppressPackageStartupMessages({library(data.table); library(brglm2)})

src <- readLines("scripts/ref_fit.R")
eval(parse(text = src[1:grep("^write_ref", src)[1] - 1]))   # encode() only

loglik <- function(X, y, w, beta) {
  eta <- drop(X %*% beta)
  sum(w * (y * plogis(eta, log.p = TRUE) + (1 - y) * plogis(-eta, log.p = TRUE)))
}
logdet_info <- function(X, w, beta) {
  mu <- plogis(drop(X %*% beta))
  as.numeric(determinant(crossprod(X, X * (w * mu * (1 - mu))), logarithm = TRUE)$modulus)
}
pll <- function(X, y, w, beta) loglik(X, y, w, beta) + 0.5 * logdet_info(X, w, beta)

# Step-halving Newton on the modified score; free = the coefficients estimated (the rest stay at
# their values in beta). The penalty always uses the full model's information. The step uses the
# exact Hessian of l* (Fisher scoring converges only linearly near separation):
#   d2 l* = -I + 1/2 X' diag(h (1 - 6 v)) X - 1/2 M,  v = mu (1 - mu),
#   M_ab = tr(I^-1 I_a I^-1 I_b),  I_a = X' diag(w v (1 - 2 mu) x_a) X,
# computed as A' Q A with A = diag(w v (1 - 2 mu)) X and Q = (X I^-1 X')^2 elementwise when
# n <= 5000, from the p matrices I_a otherwise.
newton <- function(X, y, w, beta, free = seq_len(ncol(X)), maxit = 100, tol = 1e-11) {
  cur <- pll(X, y, w, beta)
  exact <- nrow(X) <= 5000
  for (it in seq_len(maxit)) {
    mu <- plogis(drop(X %*% beta))
    v <- mu * (1 - mu)
    W <- w * v
    info <- crossprod(X, X * W)
    covs <- solve(info)
    if (exact) {
      G <- X %*% covs %*% t(X)
      h <- W * diag(G)
    } else {
      h <- W * rowSums((X %*% covs) * X)
    }
    U <- drop(crossprod(X, w * (y - mu) + h * (0.5 - mu)))
    negH <- info
    u <- w * v * (1 - 2 * mu)
    if (exact) {
      A <- X * u
      M <- crossprod(A, (G^2) %*% A)
    } else {
      SIa <- lapply(seq_len(ncol(X)), function(a) covs %*% crossprod(X, X * (u * X[, a])))
      M <- matrix(0, ncol(X), ncol(X))
      for (a in seq_len(ncol(X))) for (b in a:ncol(X))
        M[a, b] <- M[b, a] <- sum(SIa[[a]] * t(SIa[[b]]))
    }
    negH <- info - 0.5 * crossprod(X, X * (h * (1 - 6 * v))) + 0.5 * M
    if (inherits(try(chol(negH[free, free, drop = FALSE]), silent = TRUE), "try-error"))
      negH <- info
    delta <- rep(0, ncol(X))
    delta[free] <- solve(negH[free, free, drop = FALSE], U[free])
    if (max(abs(delta)) < tol * max(1, max(abs(beta)))) break
    step <- 1
    repeat {
      nb <- beta + step * delta
      val <- pll(X, y, w, nb)
      if (is.finite(val) && val >= cur - 1e-12 * abs(cur)) break
      step <- step / 2
      if (step < 1e-10) stop("step halving failed")
    }
    beta <- nb
    gain <- val - cur
    cur <- val
    # Newton converges quadratically: once a full step gains nothing measurable, the next
    # would be below the rounding of l*.
    if (step == 1 && gain <= 1e-13 * abs(cur) && max(abs(delta)) < 1e-7) break
  }
  list(beta = beta, pll = cur, iter = it)
}

# newton() stops wherever the modified score vanishes; l* need not be concave, and near
# separation it has saddle points (the B2B file with its rare levels pooled has one at
# l* = -165.123, below the maximum -164.804). A saddle is unstable: newton_max restarts from a
# point 2e-3 standard errors away in a fixed pseudo-random direction (the free coefficients only)
# and keeps the restart's end when l* is higher there by more than rounding, up to four times.
newton_max <- function(X, y, w, beta, free = seq_len(ncol(X))) {
  f <- newton(X, y, w, beta, free)
  for (k in 1:4) {
    mu <- plogis(drop(X %*% f$beta))
    se <- sqrt(diag(solve(crossprod(X, X * (w * mu * (1 - mu))))))
    set.seed(k)
    pb <- f$beta
    pb[free] <- pb[free] + 2e-3 * (runif(length(free)) - 0.5) * se[free]
    g <- tryCatch(newton(X, y, w, pb, free), error = function(e) NULL)
    if (is.null(g) || !(g$pll > f$pll + 1e-9 * (1 + abs(f$pll)))) break
    f <- g
  }
  f
}

firth_ref <- function(path, X, y, w = NULL, what, profile = TRUE) {
  if (is.null(w)) w <- rep(1, length(y))
  plain <- suppressWarnings(glm(y ~ 0 + X, family = binomial(), weights = w))
  keep <- !is.na(coef(plain))
  labels <- colnames(X)
  Xk <- X[, keep, drop = FALSE]
  start <- c(qlogis(sum(w * y) / sum(w)), rep(0, ncol(Xk) - 1))
  nt <- newton_max(Xk, y, w, start)
  bf <- tryCatch(suppressWarnings(glm(y ~ 0 + Xk, family = binomial(), weights = w,
                                      method = "brglmFit", type = "AS_mean",
                                      control = list(epsilon = 1e-12, maxit = 500))),
                 error = function(e) NULL)
  use_brglm <- !is.null(bf) && isTRUE(bf$converged) &&
    max(abs(coef(bf) - nt$beta) / pmax(1, abs(nt$beta))) < 1e-8
  beta <- if (use_brglm) unname(coef(bf)) else nt$beta
  ref <- if (use_brglm) sprintf("brglm2 %s brglmFit AS_mean (agrees with the Newton to 1e-8)",
                                packageVersion("brglm2"))
         else sprintf("step-halving Newton on the modified score (brglm2 %s: %s)",
                      packageVersion("brglm2"),
                      if (is.null(bf)) "failed" else if (!isTRUE(bf$converged)) "did not converge"
                      else sprintf("differs by %.3g", max(abs(coef(bf) - nt$beta))))
  mu <- plogis(drop(Xk %*% beta))
  info <- crossprod(Xk, Xk * (w * mu * (1 - mu)))
  se <- sqrt(diag(solve(info)))
  lmax <- pll(Xk, y, w, beta)
  q <- qchisq(0.95, 1)
  lo <- hi <- pv <- rep(NA_real_, ncol(Xk))
  pj <- if (isTRUE(profile)) seq_len(ncol(Xk))[-1] else if (isFALSE(profile)) integer(0)
        else match(profile, colnames(Xk))
  if (length(pj)) {
    for (j in pj) {
      free <- setdiff(seq_len(ncol(Xk)), j)
      cj <- solve(info)[, j]
      warm <- beta
      # each constrained fit starts from the last one moved along the covariance column
      prof <- function(b) {
        s <- warm + (b - warm[j]) * cj / cj[j]; s[j] <- b
        f <- newton_max(Xk, y, w, s, free)
        warm <<- f$beta
        2 * (lmax - f$pll)
      }
      pv[j] <- pchisq(prof(0), 1, lower.tail = FALSE)
      for (side in c(-1, 1)) {
        warm <- beta
        far <- beta[j] + side * 2 * se[j]
        while (prof(far) < q) far <- beta[j] + 1.5 * (far - beta[j])
        warm <- beta
        rt <- uniroot(function(b) prof(b) - q, sort(c(beta[j], far)), tol = 1e-12)$root
        if (side < 0) lo[j] <- rt else hi[j] <- rt
      }
    }
  }
  off <- drop(Xk[, -1, drop = FALSE] %*% beta[-1])
  fl <- glm(y ~ 1, offset = off, family = binomial(), weights = w,
            control = glm.control(epsilon = 1e-14, maxit = 100))
  con <- file(path, "w")
  writeLines(c(sprintf("# %s", what),
               sprintf("# R %s; produced by scripts/ref_firth.R", getRversion()),
               sprintf("reference\t%s", ref),
               sprintf("loglik\t%.17g", loglik(Xk, y, w, beta)),
               sprintf("logdet\t%.17g", logdet_info(Xk, w, beta)),
               sprintf("penalized_loglik\t%.17g", lmax),
               sprintf("flic_intercept\t%.17g", coef(fl)[1]),
               sprintf("flic_se\t%.17g", sqrt(vcov(fl)[1, 1]))), con)
  k <- 0
  for (j in seq_along(labels)) {
    if (!keep[j]) {
      writeLines(sprintf("term\t%s\tNA\tNA\tNA\tNA\tNA", labels[j]), con)
      next
    }
    k <- k + 1
    f <- function(v) if (is.na(v)) "NA" else sprintf("%.17g", v)
    writeLines(sprintf("term\t%s\t%s\t%s\t%s\t%s\t%s", labels[j], f(beta[k]), f(se[k]), f(lo[k]),
                       f(hi[k]), f(pv[k])), con)
  }
  close(con)
  cat(path, ":", ref, "\n")
}

dir.create("tests/fixtures/firth", showWarnings = FALSE, recursive = TRUE)
which <- commandArgs(trailingOnly = TRUE)
if (!length(which)) which <- c("b2b", "b2b_pooled", "bank", "complete")

# The B2B file as mqlcal reads it: "Unknown" missing, the Yes/No columns boolean, the rest
# categorical; the design with levels under min_count rows pooled.
b2b <- function() fread("datasets/b2b-opportunities/B2B_dataset.csv", na.strings = c("", "Unknown"))
b2b_design <- function(d, min_count) {
  bools <- c("Competitors", "Purch_dept", "Partnership", "Budgt_alloc", "Forml_tend", "RFI", "RFP",
             "Cross_sale", "Up_sale")
  spec <- list()
  for (nm in setdiff(names(d), "Status"))
    spec[[nm]] <- if (nm %in% bools) "bool:Yes" else "cat"
  encode(d, spec, min_count = min_count)
}

# (a) B2B opportunities, every column, Status=Won, "Unknown" missing, no rare-level pooling
# (mqlcal fit --min-level-count 0): the plain fit separates (levels with only wins or losses).
if ("b2b" %in% which) {
d <- b2b()
firth_ref("tests/fixtures/firth/b2b.ref", b2b_design(d, 0),
          as.numeric(d$Status == "Won"),
          what = paste("B2B_dataset.csv, outcome Status=Won, every column, --min-level-count 0;",
                       "profiles for four terms (two of them separated in the plain fit)"),
          profile = c("Product=Product I", "Posit_statm=No", "Seller=Seller 9", "Up_sale"))
}

# (a') The same file with mqlcal's default pooling (levels under 10 rows into "(other)"): the
# Fisher scoring of l* stops at a saddle point here unless it checks (firth.c's escape_saddle);
# profiles for four terms whose constrained fits have more than one stationary point.
if ("b2b_pooled" %in% which) {
d <- b2b()
firth_ref("tests/fixtures/firth/b2b_pooled.ref", b2b_design(d, 10),
          as.numeric(d$Status == "Won"),
          what = paste("B2B_dataset.csv, outcome Status=Won, every column, default pooling (10);",
                       "profiles for four terms"),
          profile = c("Product=Product A", "Seller=Seller 10", "Strat_deal=Unimportant",
                      "Scope=Few questions"))
}

# (b) Bank Marketing, every column but duration, default pooling (10): default=yes has 3 leads,
# none converted. No profiles (41,188 rows: mqlcal's default gives Wald intervals there).
if ("bank" %in% which) {
b <- fread("datasets/bank-marketing/bank-additional-full.csv")
for (nm in names(b)) if (is.character(b[[nm]])) set(b, which(b[[nm]] == "unknown"), nm, NA)
num <- c("age", "campaign", "pdays", "previous", "emp.var.rate", "cons.price.idx",
         "cons.conf.idx", "euribor3m", "nr.employed")
spec_b <- list()
for (nm in setdiff(names(b), c("duration", "y")))
  spec_b[[nm]] <- if (nm %in% num) "num" else if (nm %in% c("default", "housing", "loan"))
    "bool:yes" else "cat"
firth_ref("tests/fixtures/firth/bank.ref", encode(b, spec_b), as.numeric(b$y == "yes"),
          what = "bank-additional-full.csv, outcome y=yes, all columns but duration (no profiles)",
          profile = FALSE)
}

# (c) complete separation: won exactly when visits >= 5, plus a categorical channel.
if ("complete" %in% which) {
set.seed(13)
n <- 40
cs <- data.table(lead_id = sprintf("C%02d", 1:n), visits = sample(0:9, n, replace = TRUE),
                 channel = sample(c("web", "event", "partner"), n, replace = TRUE))
cs[, won := as.integer(visits >= 5)]
fwrite(cs, "tests/fixtures/firth/complete.csv")
firth_ref("tests/fixtures/firth/complete.ref",
          encode(cs, list(visits = "num", channel = "cat"), min_count = 0),
          cs$won, what = "tests/fixtures/firth/complete.csv, outcome won, --min-level-count 0")
}
