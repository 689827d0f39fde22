#!/usr/bin/env Rscript
# ref_metrics.R: R reference values for tests/unit/test_metrics.c, read from the fixture that
# scripts/ref_metrics.py writes (tests/fixtures/metrics/leads.txt); output
# tests/fixtures/metrics/ref_r.txt. Run from the repository root: Rscript scripts/ref_metrics.R
#
# ResourceSelection is not installed here, so hoslem.test is reimplemented below from its
# published source (ResourceSelection 0.3-x, R/hoslem.test.R; same breaks, cut, xtabs and df).
# pROC is not installed either, so the DeLong variance is computed from its definition
# (DeLong et al. 1988: placement values over the full m x n comparison matrix), which is an
# independent check of the C code's one-sort midrank (Sun & Xu 2014) computation.
# glm fits use epsilon = 1e-14 so the references are the converged MLE, not R's 1e-8 stopping point,
# and are then refitted from their own estimate (start = coef) so that the standard errors use
# working weights at the MLE (glm's SEs use the weights of its last iteration, one step behind).
fit <- function(formula, y, x, ww) {
    dd <- data.frame(y = y, x = x, ww = ww)
    f <- glm(formula, family = binomial, data = dd, weights = ww, control = ctl)
    glm(formula, family = binomial, data = dd, weights = ww, control = ctl, start = coef(f))
}

d <- read.table("tests/fixtures/metrics/leads.txt", comment.char = "#",
                col.names = c("points", "p_cont", "p_pts", "y", "w", "p_coarse"))
out <- character()
put <- function(name, v) out <<- c(out, sprintf("%s %.17g", name, as.numeric(v)))
ctl <- glm.control(epsilon = 1e-14, maxit = 100)

## Wilson: prop.test(correct = FALSE)$conf.int is the Wilson score interval.
wk <- c(0, 10, 3, 123, 1, 999, 37)
wn <- c(10, 10, 17, 456, 1000, 1000, 37.5)
for (i in seq_along(wk)) {
    ci <- suppressWarnings(prop.test(wk[i], wn[i], correct = FALSE)$conf.int)
    put(sprintf("wilson_%d_lo", i - 1), ci[1]); put(sprintf("wilson_%d_hi", i - 1), ci[2])
}
put("wilson_n", length(wk))

## Hosmer-Lemeshow, ResourceSelection::hoslem.test(x = y, y = yhat, g).
hoslem <- function(y, yhat, g = 10) {
    qq <- unique(quantile(yhat, probs = seq(0, 1, 1/g)))
    cutyhat <- cut(yhat, breaks = qq, include.lowest = TRUE)
    observed <- xtabs(cbind(y0 = 1 - y, y1 = y) ~ cutyhat)
    expected <- xtabs(cbind(yhat0 = 1 - yhat, yhat1 = yhat) ~ cutyhat)
    chisq <- sum((observed - expected)^2/expected)
    G <- length(unique(cutyhat))
    list(chisq = chisq, df = G - 2, p = 1 - pchisq(chisq, G - 2), G = G,
         n = as.numeric(table(cutyhat)), obs1 = observed[, "y1"], exp1 = expected[, "yhat1"])
}
for (tag in c("cont", "pts", "coarse")) {
    for (g in c(10, 7)) {
        h <- hoslem(d$y, d[[paste0("p_", tag)]], g)
        keep <- h$n > 0                      # empty levels of cut() are not groups
        pre <- sprintf("hl_%s_g%d", tag, g)
        put(paste0(pre, "_chisq"), h$chisq); put(paste0(pre, "_df"), h$df)
        put(paste0(pre, "_p"), h$p); put(paste0(pre, "_groups"), h$G)
        for (k in seq_len(sum(keep))) {
            put(sprintf("%s_%d_n", pre, k - 1), h$n[keep][k])
            put(sprintf("%s_%d_obs", pre, k - 1), h$obs1[keep][k])
            put(sprintf("%s_%d_exp", pre, k - 1), h$exp1[keep][k])
        }
    }
}

## Calibration intercept (offset model) and slope, unweighted and weighted.
for (tag in c("cont", "pts")) {
    for (wt in c("", "_w")) {
        lp <- qlogis(d[[paste0("p_", tag)]])
        ww <- if (wt == "") rep(1, nrow(d)) else d$w
        f0 <- fit(y ~ offset(x), d$y, lp, ww)
        f1 <- fit(y ~ x, d$y, lp, ww)
        s0 <- summary(f0)$coefficients; s1 <- summary(f1)$coefficients
        pre <- paste0("cal_", tag, wt)
        put(paste0(pre, "_citl"), s0[1, 1]); put(paste0(pre, "_citl_se"), s0[1, 2])
        put(paste0(pre, "_a"), s1[1, 1]); put(paste0(pre, "_a_se"), s1[1, 2])
        put(paste0(pre, "_slope"), s1[2, 1]); put(paste0(pre, "_slope_se"), s1[2, 2])
    }
}

## Platt scaling as plain glm(y ~ score).
for (wt in c("", "_w")) {
    ww <- if (wt == "") rep(1, nrow(d)) else d$w
    f <- fit(y ~ x, d$y, d$points, ww)
    s <- summary(f)$coefficients
    put(paste0("platt", wt, "_a"), s[1, 1]); put(paste0("platt", wt, "_b"), s[2, 1])
    put(paste0("platt", wt, "_se_a"), s[1, 2]); put(paste0("platt", wt, "_se_b"), s[2, 2])
    put(paste0("platt", wt, "_cov"), vcov(f)[1, 2])
}

## PSI, baseline rows 1..3000 vs current rows 3001..5000, empty share -> 0.5 / n of that sample.
psi <- function(b, cc, f) {
    tb <- as.numeric(table(f(b))); tc <- as.numeric(table(f(cc)))
    sb <- ifelse(tb == 0, 0.5 / length(b), tb / length(b))
    sc <- ifelse(tc == 0, 0.5 / length(cc), tc / length(cc))
    list(psi = sum((sc - sb) * log(sc / sb)), nb = tb, nc = tc,
         eb = sum(tb == 0), ec = sum(tc == 0))
}
b <- d$points[1:3000]; cc <- d$points[3001:5000]
qq <- unique(quantile(b, probs = (1:9) / 10))
dec <- function(x) cut(x, breaks = c(-Inf, qq, Inf))              # (q_k, q_k+1], right-closed
cuts <- c(10, 25, 40, 95)
band <- function(x) cut(x, breaks = c(-Inf, cuts, Inf), right = FALSE)   # [t_k, t_k+1)
for (v in list(list("dec", dec), list("band", band))) {
    r <- psi(b, cc, v[[2]])
    pre <- paste0("psi_", v[[1]])
    put(pre, r$psi); put(paste0(pre, "_bins"), length(r$nb))
    put(paste0(pre, "_empty_base"), r$eb); put(paste0(pre, "_empty_cur"), r$ec)
    for (k in seq_along(r$nb)) {
        put(sprintf("%s_%d_nb", pre, k - 1), r$nb[k]); put(sprintf("%s_%d_nc", pre, k - 1), r$nc[k])
    }
}

## DeLong AUC and standard error from the placement-value definition.
delong <- function(s, y) {
    x <- s[y == 1]; z <- s[y == 0]; m <- length(x); n <- length(z)
    psi <- outer(x, z, function(a, b) (a > b) + 0.5 * (a == b))
    v10 <- rowMeans(psi); v01 <- colMeans(psi); auc <- mean(v10)
    c(auc, sqrt(var(v10) / m + var(v01) / n))
}
for (tag in c("points", "cont")) {
    s <- if (tag == "points") d$points else d$p_cont
    r <- delong(s, d$y)
    put(paste0("delong_", tag, "_auc"), r[1]); put(paste0("delong_", tag, "_se"), r[2])
    put(paste0("delong_", tag, "_lo"), max(0, r[1] - qnorm(0.975) * r[2]))
    put(paste0("delong_", tag, "_hi"), min(1, r[1] + qnorm(0.975) * r[2]))
}

writeLines(c(paste("#", R.version.string, ": scripts/ref_metrics.R"), out),
           "tests/fixtures/metrics/ref_r.txt")
