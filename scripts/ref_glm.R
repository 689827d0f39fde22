# ref_glm.R: writes the datasets and R's glm(family = binomial) results that tests/unit/test_glm.c
# checks against. Run from the repository root: Rscript scripts/ref_glm.R
# Each case NAME gives tests/fixtures/glm/NAME.csv (design columns with the intercept first, then y
# and w, all "%.17g") and NAME.ref (lines "key value" and "coef j estimate se"; nan = aliased).
out <- "tests/fixtures/glm"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
g <- function(v) ifelse(is.na(v), "nan", sprintf("%.17g", v))

write_case <- function(name, X, y, w, maxit = 25) {
  df <- data.frame(intercept = 1, X, y = y, w = w)
  lines <- c(paste(names(df), collapse = ","),
             apply(df, 1, function(r) paste(g(r), collapse = ",")))
  writeLines(lines, file.path(out, paste0(name, ".csv")))
  dat <- data.frame(X, y = y)
  fit <- suppressWarnings(glm(y ~ ., family = binomial, data = dat, weights = w,
                              control = glm.control(maxit = maxit)))
  s <- summary(fit)
  se <- rep(NA_real_, length(coef(fit)))
  se[!is.na(coef(fit))] <- s$coefficients[, 2]
  eps <- 10 * .Machine$double.eps
  mu <- fitted(fit)[w > 0]
  ref <- c(sprintf("deviance %s", g(fit$deviance)),
           sprintf("null_deviance %s", g(fit$null.deviance)),
           sprintf("aic %s", g(fit$aic)),
           sprintf("loglik %s", g(as.numeric(logLik(fit)))),
           sprintf("iter %d", fit$iter),
           sprintf("converged %d", as.integer(fit$converged)),
           sprintf("df_residual %s", g(fit$df.residual)),
           sprintf("df_null %s", g(fit$df.null)),
           sprintf("rank %d", fit$rank),
           sprintf("n_extreme %d", sum(mu > 1 - eps | mu < eps)),
           sprintf("coef %d %s %s", seq_along(coef(fit)) - 1, g(coef(fit)), g(se)))
  writeLines(ref, file.path(out, paste0(name, ".ref")))
  invisible(fit)
}

# (a) continuous columns on different scales (one with a large mean) and 0/1 indicators.
set.seed(20240611)
n <- 2000
X <- data.frame(x1 = rnorm(n), x2 = rnorm(n, 50, 10), x3 = 100 * rexp(n), x4 = rnorm(n),
                b1 = rbinom(n, 1, 0.3), b2 = rbinom(n, 1, 0.5), b3 = rbinom(n, 1, 0.1))
eta <- with(X, -1 + 0.8 * x1 + 0.03 * (x2 - 50) + 0.002 * x3 - 0.5 * x4 + 0.7 * b1 - 0.4 * b2 +
               1.2 * b3)
y <- rbinom(n, 1, plogis(eta))
write_case("sim", X, y, rep(1, n))
# (d) the same data stopped after two iterations.
write_case("maxit2", X, y, rep(1, n), maxit = 2)

# (b) aliasing: x3 = x1 + x2 and a duplicated indicator; R gives NA for x3 and b1dup.
set.seed(7)
n <- 1000
x1 <- rnorm(n); x2 <- runif(n); b1 <- rbinom(n, 1, 0.4)
X <- data.frame(x1 = x1, x2 = x2, x3 = x1 + x2, b1 = b1, b1dup = b1, x4 = rnorm(n))
y <- rbinom(n, 1, plogis(-0.5 + x1 - x2 + 0.8 * b1 + 0.3 * X$x4))
write_case("alias", X, y, rep(1, n))

# (c) quasi-complete separation: every row with demo = 1 is an event.
set.seed(11)
n <- 500
X <- data.frame(x1 = rnorm(n), demo = rbinom(n, 1, 0.08), x2 = rnorm(n))
y <- rbinom(n, 1, plogis(-1 + 0.7 * X$x1 - 0.4 * X$x2))
y[X$demo == 1] <- 1
write_case("separated", X, y, rep(1, n))

# (e) frequency weights: raw 0/1 rows and the same data aggregated by pattern (y = share of
# events, w = trials), plus two zero-weight rows that must not count.
set.seed(3)
n <- 5000
X <- data.frame(b1 = rbinom(n, 1, 0.5), b2 = rbinom(n, 1, 0.3), b3 = rbinom(n, 1, 0.2),
                k = sample(0:3, n, replace = TRUE))
y <- rbinom(n, 1, plogis(-1.2 + 0.6 * X$b1 - 0.9 * X$b2 + 0.4 * X$b3 + 0.25 * X$k))
write_case("freq_raw", X, y, rep(1, n))
agg <- aggregate(cbind(s = y, t = 1) ~ b1 + b2 + b3 + k, data = cbind(X, y = y), FUN = sum)
agg <- agg[order(agg$b1, agg$b2, agg$b3, agg$k), ]
Xa <- rbind(agg[, c("b1", "b2", "b3", "k")], data.frame(b1 = c(1, 0), b2 = c(1, 1), b3 = c(0, 1),
                                                          k = c(2, 7)))
ya <- c(agg$s / agg$t, 0.5, 1)
wa <- c(agg$t, 0, 0)
write_case("freq_agg", Xa, ya, wa)

# (c2) complete separation by a continuous column: R stops at maxit without converging and warns
# "fitted probabilities numerically 0 or 1 occurred" (n_extreme > 0).
set.seed(5)
n <- 60
X <- data.frame(x1 = sort(runif(n, 0, 10)), x2 = rnorm(n))
y <- as.numeric(X$x1 > 5)
write_case("complete", X, y, rep(1, n))
