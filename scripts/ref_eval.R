#!/usr/bin/env Rscript
# ref_eval.R: R references for tests/unit/test_evaluate.c on the scores that
# scripts/make_eval_fixture.sh wrote (tests/fixtures/eval/*-scores.csv); output
# tests/fixtures/eval/ref_r.txt as "name value" lines. Run from the repository root:
#   Rscript scripts/ref_eval.R
# Hosmer-Lemeshow: ResourceSelection::hoslem.test(y, prob, g = 10), reimplemented from its
# published source exactly as in scripts/ref_metrics.R (the package is not installed here).
# Wilson: prop.test(k, n, correct = FALSE)$conf.int for the won rate of each score band
# [cut_k, cut_k+1) (the bands of mql_eval_reliability_bands), with the band's lead count, won
# count and mean probability.
out <- character()
put <- function(name, v) out <<- c(out, sprintf("%s %.17g", name, as.numeric(v)))

hoslem <- function(y, yhat, g = 10) {
    qq <- unique(quantile(yhat, probs = seq(0, 1, 1/g)))
    cutyhat <- cut(yhat, breaks = qq, include.lowest = TRUE)
    observed <- xtabs(cbind(y0 = 1 - y, y1 = y) ~ cutyhat)
    expected <- xtabs(cbind(yhat0 = 1 - yhat, yhat1 = yhat) ~ cutyhat)
    chisq <- sum((observed - expected)^2/expected)
    G <- length(unique(cutyhat))
    # hoslem.test reports 1 - pchisq(...), which is 0 below about 1e-16; the upper tail is the
    # same number without that cancellation (the bank model's p is about 7e-53).
    list(chisq = chisq, df = G - 2, p = pchisq(chisq, G - 2, lower.tail = FALSE), G = G)
}

sets <- list(list("syn_rules", "synthetic-scores.csv", "rules", c(56, 75, 94)),
             list("syn_fit", "synthetic-scores.csv", "fit", c(0, 10, 20)),
             list("bank_fit", "bank-scores.csv", "fit", c(10, 20, 30)))
for (s in sets) {
    tag <- s[[1]]
    d <- read.csv(file.path("tests/fixtures/eval", s[[2]]))
    y <- d$y
    sc <- d[[paste0(s[[3]], "_score")]]
    p <- d[[paste0(s[[3]], "_prob")]]
    h <- hoslem(y, p, 10)
    put(paste0(tag, "_hl_chisq"), h$chisq)
    put(paste0(tag, "_hl_df"), h$df)
    put(paste0(tag, "_hl_p"), h$p)
    put(paste0(tag, "_hl_groups"), h$G)
    cuts <- c(-Inf, s[[4]], Inf)
    for (k in seq_len(length(cuts) - 1)) {
        inb <- sc >= cuts[k] & sc < cuts[k + 1]
        n <- sum(inb); won <- sum(y[inb])
        ci <- prop.test(won, n, correct = FALSE)$conf.int
        pre <- sprintf("%s_band_%d", tag, k - 1)
        put(paste0(pre, "_n"), n); put(paste0(pre, "_won"), won)
        put(paste0(pre, "_pred"), mean(p[inb]))
        put(paste0(pre, "_lo"), ci[1]); put(paste0(pre, "_hi"), ci[2])
    }
}
writeLines(c(sprintf("# %s", R.version.string), out), "tests/fixtures/eval/ref_r.txt")
