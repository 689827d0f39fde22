# ref_activity.R: reference for the activity-log features and the fit on them (issue: decay).
# Rebuilds the snapshot features of datasets/synthetic-activity*.csv independently of mqlcal
# (every lead looked at 30 days after creation; only events strictly before that moment count;
# webinar half-life 14 days, pricing_page half-life 60 days; values rounded to 1/1000 of an
# event as mqlcal rounds them) and fits R's glm on them.
# Writes tests/fixtures/activity/ref_glm.txt: term, coefficient, standard error (%.17g), then
# deviance and the features of the first five leads.
#   Rscript scripts/ref_activity.R
leads <- read.csv("datasets/synthetic-activity-leads.csv", stringsAsFactors = FALSE)
ev <- read.csv("datasets/synthetic-activity.csv", stringsAsFactors = FALSE)
day <- as.numeric(as.Date(leads$created_date))
moment <- day + 30
t_ev <- as.numeric(as.POSIXct(ev$timestamp, format = "%Y-%m-%d %H:%M:%S", tz = "UTC")) / 86400
idx <- match(ev$lead_id, leads$lead_id)
half <- c(webinar = 14, pricing_page = 60)
feat <- function(type) {
    keep <- ev$event_type == type & t_ev < moment[idx]
    w <- 2^(-(moment[idx[keep]] - t_ev[keep]) / half[[type]])
    x <- numeric(nrow(leads))
    s <- tapply(w, idx[keep], sum)
    x[as.integer(names(s))] <- s
    round(x * 1000) / 1000   # mqlcal's resolution: 1/1000 of an event, ties to even

}
leads$webinar <- feat("webinar")
leads$pricing_page <- feat("pricing_page")
won_day <- as.numeric(as.Date(ifelse(leads$won_date == "", NA, leads$won_date)))
open_at_moment <- is.na(won_day) | won_day >= moment
d <- leads[open_at_moment, ]
d$y <- as.integer(d$closed_won == "yes")
# mqlcal's reference level: the most frequent (SMB); its term order: table order of columns,
# levels by descending count.
d$segment <- factor(d$segment, levels = names(sort(table(d$segment), decreasing = TRUE)))
m <- glm(y ~ segment + pricing_page + webinar, family = binomial, data = d,
         control = glm.control(epsilon = 1e-12, maxit = 50))
co <- summary(m)$coefficients
out <- "tests/fixtures/activity/ref_glm.txt"
lines <- c("# R glm on snapshot features rebuilt by scripts/ref_activity.R",
           sprintf("%s %.17g %.17g", rownames(co), co[, 1], co[, 2]),
           sprintf("deviance %.17g", deviance(m)),
           sprintf("rows %d", nrow(d)),
           sprintf("feature %s %.17g %.17g", d$lead_id[1:5], d$pricing_page[1:5], d$webinar[1:5]))
writeLines(lines, out)
cat(lines, sep = "\n")
