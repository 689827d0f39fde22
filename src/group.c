/* group.c: which sub-score a column belongs to, fit (who the lead is) or engagement (what it
 * did), from the whole words of its name and the nature of its values, with the reason in words
 * (design.h: mql_group_infer). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mqlcal/design.h"
#include "mqlcal/leakage.h"
#include "mqlcal/report_table.h"

#define MAXW 24

/* Index of the first word of w[0..n) equal to one of list (NULL-terminated), or -1; *hit is the
 * matching word. */
static long find_word(char (*w)[MQL_NAME_WORD], size_t n, const char *const *list,
                      const char **hit)
{
    for (size_t i = 0; i < n; i++)
        if (mql_name_word_in(w[i], list)) {
            *hit = w[i];
            return (long)i;
        }
    return -1;
}

static int has(char (*w)[MQL_NAME_WORD], size_t n, const char *word)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(w[i], word) == 0)
            return 1;
    return 0;
}

/* Non-negative integers in every filled cell (a count). */
static int is_count(const mql_column *c)
{
    if (!c || c->type != MQL_COL_NUMERIC || !c->num)
        return 0;
    for (size_t i = 0; i < c->n_rows; i++)
        if (!isnan(c->num[i]) && (c->num[i] < 0 || c->num[i] != floor(c->num[i])))
            return 0;
    return 1;
}

static void say(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t cap, const char *fmt, ...)
{
    if (!why || !cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
}

mql_group mql_group_infer(const char *name, const mql_column *c, char *why, size_t cap)
{
    /* Consent and contact permissions describe the lead, however they mention e-mail. */
    static const char *const consent[] = {"consent", "gdpr", "optin", "optout", "opt",
                                          "unsubscribe", "unsubscribed", "permission",
                                          "permissions", "dnc", NULL};
    static const char *const activity[] = {
        "visit", "visits", "visited", "view", "views", "viewed", "pageview", "pageviews",
        "open", "opens", "opened", "click", "clicks", "clicked", "download", "downloads",
        "downloaded", "webinar", "webinars", "event", "events", "attended", "attend",
        "attendance", "session", "sessions", "demo", "demos", "trial", "trials", "form", "forms",
        "submission", "submissions", "submitted", "activity", "activities", "engagement",
        "engaged", "reply", "replies", "replied", "chat", "chats", "call", "calls", "touch",
        "touches", "touchpoint", "touchpoints", "login", "logins", "signup", "signups", NULL};
    static const char *const attribute[] = {
        "title", "titles", "level", "seniority", "role", "job", "function", "department",
        "industry", "sector", "vertical", "size", "employees", "employee", "headcount",
        "revenue", "country", "region", "city", "location", "geo", "source", "origin", "channel",
        "campaign", "referral", "company", "account", "occupation", "specialization",
        "specialisation", "segment", "tier", "domain", NULL};
    static const char *const counts[] = {"count", "number", "num", "total", "times", NULL};
    char w[MAXW][MQL_NAME_WORD];
    size_t n = mql_name_words(name, w, MAXW);
    const char *hit = NULL;
    for (size_t i = 0; i + 1 < n; i++)
        if (!strcmp(w[i], "do") && (!strcmp(w[i + 1], "not") || !strcmp(w[i + 1], "nt"))) {
            say(why, cap, "consent or contact permission ('%s %s' in the name)", w[i],
                w[i + 1]);
            return MQL_GROUP_FIT;
        }
    if (find_word(w, n, consent, &hit) >= 0) {
        say(why, cap, "consent or contact permission ('%s' in the name)", hit);
        return MQL_GROUP_FIT;
    }
    if (has(w, n, "time") && (has(w, n, "spent") || has(w, n, "site") || has(w, n, "website") ||
                              has(w, n, "page") || has(w, n, "session"))) {
        say(why, cap, "time on site ('time' in the name)");
        return MQL_GROUP_ENGAGEMENT;
    }
    if ((has(w, n, "days") || has(w, n, "day")) && (has(w, n, "since") || has(w, n, "last"))) {
        say(why, cap, "days since the last activity ('days', '%s' in the name)",
            has(w, n, "since") ? "since" : "last");
        return MQL_GROUP_ENGAGEMENT;
    }
    if (find_word(w, n, activity, &hit) >= 0) {
        say(why, cap, "an activity ('%s' in the name)", hit);
        return MQL_GROUP_ENGAGEMENT;
    }
    if (find_word(w, n, attribute, &hit) >= 0) {
        say(why, cap, "an attribute of the lead ('%s' in the name)", hit);
        return MQL_GROUP_FIT;
    }
    if (find_word(w, n, counts, &hit) >= 0 && is_count(c)) {
        say(why, cap, "a count of what the lead did ('%s' in the name, whole numbers "
            "from 0)", hit);
        return MQL_GROUP_ENGAGEMENT;
    }
    say(why, cap, "no activity word in the name, so an attribute of the lead (the "
        "default)%s%s", "", "");
    return MQL_GROUP_FIT;
}

mql_group mql_group_guess(const char *name)
{
    return mql_group_infer(name, NULL, NULL, 0);
}

mql_tab *mql_design_groups_tab(const mql_design *d, const mql_table *t, const mql_design_opts *o)
{
    static const char *const cols[] = {"feature", "group", "reason"};
    mql_design_opts defaults;
    if (!o) {
        mql_design_opts_init(&defaults);
        o = &defaults;
    }
    mql_tab *tab = mql_tab_new(3, cols);
    int bad = !tab;
    for (size_t i = 0; !bad && i < d->n_features; i++) {
        const mql_feature *f = &d->features[i];
        long j = t ? mql_table_find(t, f->name) : -1;
        char why[256];
        if (j >= 0) {
            mql_design_group(o, &t->cols[j], why, sizeof why);
        } else {
            mql_column c = {.name = f->name};
            mql_design_group(o, &c, why, sizeof why);
        }
        bad = mql_tab_row(tab) || mql_tab_add_str(tab, f->name) ||
              mql_tab_add_str(tab, f->group == MQL_GROUP_ENGAGEMENT ? "engagement" : "fit") ||
              mql_tab_add_str(tab, why);
    }
    if (bad) {
        mql_tab_free(tab);
        return NULL;
    }
    return tab;
}
