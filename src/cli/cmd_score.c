/* cmd_score.c: `mqlcal score MODEL LEADS.csv`: streams the leads record by record (flat memory)
 * and writes each row with its score, fit / engagement sub-scores, probability, band, MQL flag
 * and top three reasons appended. Output is atomic: a failure leaves no file behind. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mqlcal/csv.h"
#include "mqlcal/score.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mqlcal score MODEL LEADS.csv [-o FILE] [--threshold N] [--na LIST]\n"
            "                    [--delim C]\n"
            "\n"
            "Scores every lead of LEADS.csv ('-' = standard input) with MODEL (a model JSON\n"
            "written by mqlcal, or a rules CSV) and writes the rows with these columns added:\n"
            "score, fit_score, engagement_score, probability (by the model's score map; empty\n"
            "without one), band, is_mql (score >= threshold: 1 or 0), reason_1..reason_3 (the\n"
            "matched rules by |points|, e.g. '+25 job_level = VP'); when LEADS.csv already has\n"
            "a column of one of these names, every added column is prefixed 'mqlcal_' (with a\n"
            "warning). The file is read record by\n"
            "record, so its size is not limited by memory. A value that matches no rule of its\n"
            "feature (the reference level, or a level the model has never seen) scores 0 there.\n"
            "\n"
            "  -o, --output FILE    write to FILE (atomically) instead of standard output\n"
            "  --threshold N        MQL threshold instead of the model's (bands move with it)\n"
            "  --na LIST            placeholders read as missing (default: the model's list, which\n"
            "                       is NA,N/A,null,Select,unknown,none,- unless it was fitted with\n"
            "                       --na): LIST replaces it, +LIST adds to the defaults, -LIST\n"
            "                       keeps those defaults as answers; empty cells are always missing\n"
            "  --delim C            separator: ',', ';', '|' or 'tab' (default: detected)\n"
            "  -h, --help           this help\n"
            "\n"
            "exit codes: 0 ok, 1 invalid model or leads (e.g. a column the model needs is\n"
            "missing), 2 usage, 3 file cannot be read or written\n");
}

typedef struct score_ctx {
    mql_points *m;
    mql_scorer *s;
    FILE *f;
    const char *path;
    const char *const *na;
    size_t n_na;
    char **reason;      /* the reason text of each rule, made once at the header */
    size_t *reason_len;
    char *line;         /* the output record being built (one fwrite per record: stdio's
                           per-call locking was the hot spot) */
    size_t cap;
} score_ctx;

/* Makes room for `more` bytes after `used` in the record buffer. */
static int line_room(score_ctx *c, size_t used, size_t more)
{
    if (used + more <= c->cap)
        return 0;
    size_t cap = c->cap ? c->cap : 4096;
    while (cap < used + more)
        cap *= 2;
    char *p = realloc(c->line, cap);
    if (!p)
        return -1;
    c->line = p;
    c->cap = cap;
    return 0;
}

/* v in decimal at p; returns the length. */
static size_t fmt_long(char *p, long v)
{
    char buf[24], *q = buf + sizeof buf;
    unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
    do
        *--q = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--q = '-';
    size_t n = (size_t)(buf + sizeof buf - q);
    memcpy(p, q, n);
    return n;
}

static const char *const added[] = {"score", "fit_score", "engagement_score", "probability",
                                    "band", "is_mql", "reason_1", "reason_2", "reason_3"};

static int on_row(const mql_csv_row *row, void *vctx, mql_err *err)
{
    score_ctx *c = vctx;
    FILE *f = c->f;
    int bad = 0;
    /* the input fields as read, quoted where needed */
    size_t used = 0;
    for (size_t k = 0; k < row->n_fields; k++) {
        if (line_room(c, used, 2 * row->len[k] + 3))
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        if (k)
            c->line[used++] = ',';
        used += mql_csv_quote(c->line + used, row->field[k], row->len[k], ',');
    }
    if (row->index == 0) {
        /* An input column with the name of an added one would make two columns of one name:
         * then every added column is prefixed, and the user is told. */
        const char *prefix = "";
        for (int pass = 0; pass < 2; pass++) {
            const char *clash = NULL;
            for (size_t k = 0; k < sizeof added / sizeof added[0] && !clash; k++)
                for (size_t j = 0; j < row->n_fields && !clash; j++) {
                    char name[64];
                    snprintf(name, sizeof name, "%s%s", prefix, added[k]);
                    if (mql_strcasecmp(row->field[j], name) == 0)
                        clash = row->field[j];
                }
            if (!clash)
                break;
            if (pass == 1)
                return mql_err_set(err, MQL_EDATA, "%s: column '%s' has the name of an output "
                                   "column even with the prefix mqlcal_; rename it", c->path,
                                   clash);
            cli_warn("%s: column '%s' has the name of an output column; the added columns are "
                     "named mqlcal_score, mqlcal_fit_score, ... mqlcal_reason_3", c->path, clash);
            prefix = "mqlcal_";
        }
        bad |= fwrite(c->line, 1, used, f) != used;
        int rc = mql_scorer_bind_header(c->m, row->field, row->n_fields, c->path, c->na, c->n_na,
                                        &c->s, err);
        if (rc)
            return rc;
        if (!(c->reason = calloc(c->m->n_rules ? c->m->n_rules : 1, sizeof *c->reason)) ||
            !(c->reason_len = calloc(c->m->n_rules ? c->m->n_rules : 1, sizeof *c->reason_len)))
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        for (size_t k = 0; k < c->m->n_rules; k++) {
            char buf[600];
            if (!(c->reason[k] = mql_strdup(mql_reason_text(&c->m->rules[k], buf, sizeof buf))))
                return mql_err_set(err, MQL_ENOMEM, "out of memory");
            c->reason_len[k] = strlen(c->reason[k]);
        }
        for (size_t k = 0; k < sizeof added / sizeof added[0]; k++)
            bad |= fprintf(f, ",%s%s", prefix, added[k]) < 0;
        bad |= putc('\n', f) == EOF;
    } else {
        mql_score_result r;
        mql_scorer_score_fields(c->s, (const char *const *)row->field, row->n_fields, &r);
        /* the added columns: three numbers, probability, band, flag, reasons (the longest
         * reason fits 2 len + 2 bytes quoted) */
        size_t more = 3 * 22 + 40 + 2 * strlen(r.band) + 2 + 4 + 8;
        for (size_t k = 0; k < r.n_reasons; k++)
            more += 2 * c->reason_len[r.reason[k]] + 3;
        if (line_room(c, used, more))
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        char *p = c->line + used;
        *p++ = ',';
        p += fmt_long(p, r.score);
        *p++ = ',';
        p += fmt_long(p, r.fit);
        *p++ = ',';
        p += fmt_long(p, r.engagement);
        *p++ = ',';
        if (!isnan(r.probability))
            p += snprintf(p, 40, "%.6g", r.probability);
        *p++ = ',';
        p += mql_csv_quote(p, r.band, strlen(r.band), ',');
        *p++ = ',';
        *p++ = r.is_mql ? '1' : '0';
        for (size_t k = 0; k < MQL_N_REASONS; k++) {
            *p++ = ',';
            if (k < r.n_reasons)
                p += mql_csv_quote(p, c->reason[r.reason[k]], c->reason_len[r.reason[k]], ',');
        }
        *p++ = '\n';
        used = (size_t)(p - c->line);
        bad |= fwrite(c->line, 1, used, f) != used;
    }
    if (bad)
        return mql_err_set(err, MQL_EIO, "writing the scored leads failed: %s", strerror(errno));
    return MQL_OK;
}

typedef struct score_opts {
    const char *out, *thr, *na, *delim;
} score_opts;

static int match(void *vo, int argc, char **argv, int *i)
{
    score_opts *o = vo;
    int r = cli_opt(argc, argv, i, "-o", &o->out);
    if (r == 0)
        r = cli_opt(argc, argv, i, "--output", &o->out);
    if (r == 0)
        r = cli_opt(argc, argv, i, "--threshold", &o->thr);
    if (r == 0)
        r = cli_opt(argc, argv, i, "--na", &o->na);
    if (r == 0)
        r = cli_opt(argc, argv, i, "--delim", &o->delim);
    return r;
}

int cmd_score(int argc, char **argv)
{
    score_opts so = {0};
    cli_pos pos = {.cmd = "score", .expect = "MODEL and LEADS.csv", .min = 2, .max = 2};
    int st = cli_parse(argc, argv, usage, match, &so, &pos);
    if (st)
        return st < 0 ? MQL_OK : st;
    const char *model = pos.v[0], *leads = pos.v[1], *out = so.out, *thr = so.thr, *na = so.na;
    long threshold = 0;
    if (thr && mql_parse_long(thr, LONG_MIN / 4, LONG_MAX / 4, &threshold)) {
        cli_error("--threshold: expected an integer score, got '%s'", thr);
        return MQL_EUSAGE;
    }
    mql_csv_opts co = {0};
    if (cli_delim_parse(so.delim, &co.delim))
        return MQL_EUSAGE;
    score_ctx c = {0};
    mql_na_list na_list = {0};
    mql_err err;
    if (na && (st = mql_na_parse(na, &na_list, &err))) {
        cli_error("--na: %s", err.msg);
        return st;
    }
    c.path = strcmp(leads, "-") == 0 ? "standard input" : leads;
    st = cli_model_points(model, &c.m);
    if (st)
        goto done;
    /* without --na the model's own placeholders (those of its training file) */
    c.na = na ? (const char *const *)na_list.v : mql_points_na(c.m);
    c.n_na = na ? na_list.n : c.m->na.n;
    if (thr) {
        c.m->threshold = threshold;
        if ((st = mql_points_make_bands(c.m, &err))) {
            cli_error("%s", err.msg);
            goto done;
        }
    }
    cli_out o;
    if ((st = cli_out_open(&o, out)))
        goto done;
    c.f = o.f;
    st = mql_csv_read(leads, &co, on_row, &c, NULL, &err);
    if (st)
        cli_error("%s", err.msg);
    int cst = cli_out_close(&o, st == MQL_OK);
    if (st == MQL_OK)
        st = cst;
done:
    if (c.reason)
        for (size_t k = 0; k < c.m->n_rules; k++)
            free(c.reason[k]);
    free(c.reason);
    free(c.reason_len);
    free(c.line);
    mql_scorer_free(c.s);
    mql_points_free(c.m);
    mql_na_clear(&na_list);
    return st;
}
