/* cmd_score.c: `mqlcal score MODEL LEADS.csv`: streams the leads record by record (flat memory)
 * and writes each row with its score, fit / engagement sub-scores, probability, band, MQL flag
 * and top three reasons appended. Output is atomic: a failure leaves no file behind. *
 * Two cores: the reading thread parses and copies records into batches of SCORE_BATCH rows; one
 * worker thread scores, formats and writes them in the order read (one writer, so the output is
 * byte-identical to a single-threaded run). Two batches in flight bound the memory. With
 * --activity (per-lead log lookups and MQL counts) records are scored on the reading thread. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "activity.h"
#include "cli.h"
#include "mqlcal/csv.h"
#include "mqlcal/score.h"
#include "mqlcal/table_ops.h"
#include "mqlcal/value.h"

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
            "                       is NA,N/A,null,Select,unknown,none,- and the spreadsheet\n"
            "                       errors (#N/A, #DIV/0!, ...) unless it was fitted with\n"
            "                       --na): LIST replaces it, +LIST adds to the defaults, -LIST\n"
            "                       keeps those defaults as answers; empty cells are always missing\n"
            "  --delim C            separator: ',', ';', '|' or 'tab' (default: detected)\n"
            "  -h, --help           this help\n"
            "\n"
            "engagement from an activity log (models fitted with fit --activity carry each\n"
            "event feature's decay; their rules read '# decay: webinar | half-life:14'):\n"
            "  --activity FILE --key COL --as-of DATE\n"
            "                       compute those features for every lead from FILE's events\n"
            "                       before DATE (a lead without events has 0), with each\n"
            "                       feature's decay; the summary on stderr says how many MQLs\n"
            "                       owe their status to engagement that has faded (they would be\n"
            "                       MQLs if it never decayed)\n"
            "  --event-key COL, --event-type COL, --event-time COL, --event-count COL\n"
            "                       columns of FILE, as for fit --activity\n"
            "\n"
            "exit codes: 0 ok, 1 invalid model or leads (e.g. a column the model needs is\n"
            "missing), 2 usage, 3 file cannot be read or written\n");
}

/* Activity-log features of a streaming scorer: field idx of the header gets the decayed count of
 * the lead's events of type k (from the log) as of the moment. */
typedef struct act_field {
    size_t idx;                /* field index in the extended record */
    long type;                 /* event type in the log, -1: none seen (value 0) */
    mql_decay decay;
} act_field;

/* What one scoring thread owns: a scorer keeps one record's scratch, so each thread that scores
 * has its own (bound to the same header), and its own cache of probability texts. */
typedef struct scoring {
    mql_scorer *s;
    struct prob_text {  /* the probability's text by score (a function of the score alone):
                           formatting it per lead was a tenth of the scoring thread's time */
        long score;
        int len;        /* 0: empty slot */
        char text[40];
    } prob[1024];
    char **fields;      /* field pointers of the batch record being scored */
    size_t cap_fields;
} scoring;

typedef struct score_ctx {
    const mql_activity *log;   /* --activity, or NULL */
    const char *key;           /* --key */
    double as_of;
    long key_idx;              /* header index of the key */
    act_field *af;
    size_t n_af;
    size_t n_ext;              /* fields per extended record */
    const char **ext;          /* the extended record */
    char (*num)[32];           /* number texts of the activity fields */
    mql_scorer *s_nodecay;     /* the same model scoring the features without decay */
    size_t n_mql, n_stale, n_no_events;
    mql_points *m;
    scoring sc[2];             /* [0] the reading thread's (the header binds its scorer, with
                                  the messages), [1] the worker's */
    FILE *f;
    const char *path;
    const char *const *na;
    size_t n_na;
    char **reason;      /* the reason text of each rule, made once at the header */
    size_t *reason_len;
    size_t tail_room;   /* bytes the added columns of one record can take */
    char *line;         /* the output record being built on the reading thread (one fwrite per
                           record: stdio's per-call locking was the hot spot) */
    size_t cap;
    /* The reader's checks of the leads that `fit` makes too, on the reading thread: */
    unsigned char *unnamed;      /* per header field: no name (a value there is an error) */
    size_t n_hdr, n_named;
    char *first_copy;            /* the first column's name */
    char *hdr_text;              /* the header's fields back to back, hdr_len[j] bytes each, */
    size_t *hdr_len;             /*   to recognise the header repeated among the records */
    size_t last_index;           /* the last record read */
    size_t tot_index, tot_line;  /* the last record whose first cell reads Total (0: none), */
    size_t tot_empty;            /*   its line and its missing cells besides the first */
    char tot_label[64];
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

/* Header of a scorer fed by an activity log: the model's decayed features are read from the log,
 * replacing a column of that name or appended after the file's columns. */
static int bind_activity(score_ctx *c, const mql_csv_row *row, mql_err *err)
{
    const mql_points *m = c->m;
    size_t n = row->n_fields;
    c->key_idx = -1;
    for (size_t k = 0; k < n && c->key_idx < 0; k++) {
        const char *b;
        size_t len = mql_trim_span(row->field[k], strlen(row->field[k]), &b);
        if (len == strlen(c->key) && strncmp(b, c->key, len) == 0)
            c->key_idx = (long)k;
    }
    if (c->key_idx < 0)
        return mql_err_set(err, MQL_EDATA, "%s has no column '%s' (--key)", c->path, c->key);
    if (!m->n_decays)
        return mql_err_set(err, MQL_EUSAGE, "the model has no activity-log features (it was "
                           "not fitted with --activity), so --activity has nothing to compute");
    c->n_af = m->n_decays;
    c->af = calloc(c->n_af, sizeof *c->af);
    c->ext = calloc(n + c->n_af, sizeof *c->ext);
    c->num = calloc(c->n_af, sizeof *c->num);
    char **names = calloc(n + c->n_af, sizeof *names);
    if (!c->af || !c->ext || !c->num || !names) {
        free(names);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < n; k++)
        names[k] = row->field[k];
    size_t next = n;
    for (size_t j = 0; j < c->n_af; j++) {
        const mql_feature_decay *fd = &m->decays[j];
        size_t idx = next;
        for (size_t k = 0; k < n; k++)
            if (strcmp(row->field[k], fd->feature) == 0)
                idx = k;
        if (idx == next)
            names[next++] = fd->feature;
        else
            cli_warn("%s: column '%s' is replaced by its value from %s as of the --as-of date",
                     c->path, fd->feature, c->log->source);
        c->af[j] = (act_field){idx, mql_activity_type(c->log, fd->feature), fd->decay};
        if (c->af[j].type < 0)
            cli_warn("%s has no '%s' events: every lead scores it as 0", c->log->source,
                     fd->feature);
    }
    c->n_ext = next;
    int rc = mql_scorer_bind_header(m, names, next, c->path, c->na, c->n_na, &c->sc[0].s, err);
    if (!rc)
        rc = mql_scorer_bind_header(m, names, next, c->path, c->na, c->n_na, &c->s_nodecay, err);
    free(names);
    return rc;
}

/* Fills c->ext for one record: its fields, then the activity features (no_decay: weight 1). */
static void activity_record(score_ctx *c, const mql_csv_row *row, int no_decay)
{
    for (size_t k = 0; k < row->n_fields && k < c->n_ext; k++)
        c->ext[k] = row->field[k];
    long lead = (size_t)c->key_idx < row->n_fields
                    ? mql_activity_lookup(c->log, row->field[c->key_idx]) : -1;
    if (!no_decay && lead < 0)
        c->n_no_events++;
    const mql_decay none = {MQL_DECAY_NONE, 0};
    for (size_t j = 0; j < c->n_af; j++) {
        const act_field *a = &c->af[j];
        double v = lead >= 0 && a->type >= 0
                       ? mql_activity_value(c->log, (size_t)lead, (size_t)a->type,
                                            no_decay ? &none : &a->decay, c->as_of)
                       : 0.0;
        snprintf(c->num[j], sizeof c->num[j], "%.17g", v);
        c->ext[a->idx] = c->num[j];
    }
}

/* The header record: checks the names, binds the scorers (a missing column is reported before
 * anything is written), makes the reason texts and writes the header line. */
static int score_header(score_ctx *c, const mql_csv_row *row, mql_err *err)
{
    FILE *f = c->f;
    size_t room = 0;
    for (size_t k = 0; k < row->n_fields; k++)
        room += 2 * row->len[k] + 3;
    if (line_room(c, 0, room))
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    size_t used = mql_csv_join(c->line, row, ',');
    /* An input column with the name of an added one would make two columns of one name: then
     * every added column is prefixed, and the user is told. */
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
                               "column even with the prefix mqlcal_; rename it", c->path, clash);
        cli_warn("%s: column '%s' has the name of an output column; the added columns are "
                 "named mqlcal_score, mqlcal_fit_score, ... mqlcal_reason_3", c->path, clash);
        prefix = "mqlcal_";
    }
    /* bind first: a missing column is reported before anything is written; the worker's scorer
     * binds to the same names, so it cannot fail where the first did not (but for memory) */
    int rc = c->log ? bind_activity(c, row, err)
                    : mql_scorer_bind_header(c->m, row->field, row->n_fields, c->path, c->na,
                                             c->n_na, &c->sc[0].s, err);
    if (!rc && !c->log)
        rc = mql_scorer_bind_header(c->m, row->field, row->n_fields, c->path, c->na, c->n_na,
                                    &c->sc[1].s, err);
    if (rc)
        return rc;
    for (int t = 0; t < 2; t++)
        if (c->sc[t].s)
            mql_scorer_set_delim(c->sc[t].s, row->delim);
    int bad = fwrite(c->line, 1, used, f) != used;
    if (!(c->reason = calloc(c->m->n_rules ? c->m->n_rules : 1, sizeof *c->reason)) ||
        !(c->reason_len = calloc(c->m->n_rules ? c->m->n_rules : 1, sizeof *c->reason_len)))
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    /* each reason as its output field: quoted once here, copied per lead */
    size_t longest = 0;
    for (size_t k = 0; k < c->m->n_rules; k++) {
        char buf[600];
        const char *text = mql_reason_text(&c->m->rules[k], buf, sizeof buf);
        size_t n = strlen(text);
        if (!(c->reason[k] = malloc(2 * n + 3)))
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        c->reason_len[k] = mql_csv_quote(c->reason[k], text, n, ',');
        longest = c->reason_len[k] > longest ? c->reason_len[k] : longest;
    }
    /* the added columns at most: three numbers, probability, band (quoted), flag, reasons,
     * separators and the line end */
    size_t band = 0;
    for (size_t k = 0; k < c->m->n_bands; k++) {
        size_t n = strlen(c->m->bands[k].name);
        band = n > band ? n : band;
    }
    c->tail_room = 3 * 22 + 40 + 2 * band + 2 + 4 + 8 + MQL_N_REASONS * (longest + 1);
    for (size_t k = 0; k < sizeof added / sizeof added[0]; k++)
        bad |= fprintf(f, ",%s%s", prefix, added[k]) < 0;
    bad |= putc('\n', f) == EOF;
    if (bad)
        return mql_err_set(err, MQL_EIO, "writing the scored leads failed: %s", strerror(errno));
    return MQL_OK;
}

/* Bytes format_record may write for row. */
static size_t record_room(const score_ctx *c, const mql_csv_row *row)
{
    size_t room = c->tail_room;
    for (size_t k = 0; k < row->n_fields; k++)
        room += 2 * row->len[k] + 3;
    return room;
}

/* Scores one data record with w's scorer (--activity: the reading thread's scorers) and writes
 * its output line at p, which has record_room bytes. Returns the bytes written. */
static size_t format_record(score_ctx *c, scoring *w, const mql_csv_row *row, char *p)
{
    mql_score_result r;
    if (c->log) {
        activity_record(c, row, 0);
        mql_scorer_score_fields(w->s, c->ext, c->n_ext, &r);
        mql_score_result r0;
        activity_record(c, row, 1);
        mql_scorer_score_fields(c->s_nodecay, c->ext, c->n_ext, &r0);
        c->n_mql += r.is_mql != 0;
        c->n_stale += !r.is_mql && r0.is_mql;
    } else {
        mql_scorer_score_spans(w->s, (const char *const *)row->field, row->len, row->n_fields,
                               &r);
    }
    /* the input fields as read, quoted where needed, then the added columns: three numbers,
     * probability, band, flag, reasons */
    char *p0 = p;
    p += mql_csv_join(p, row, ',');
    *p++ = ',';
    p += fmt_long(p, r.score);
    *p++ = ',';
    p += fmt_long(p, r.fit);
    *p++ = ',';
    p += fmt_long(p, r.engagement);
    *p++ = ',';
    if (!isnan(r.probability)) {
        struct prob_text *pt = &w->prob[(unsigned long)r.score & 1023];
        if (!pt->len || pt->score != r.score) {
            pt->score = r.score;
            pt->len = snprintf(pt->text, sizeof pt->text, "%.6g", r.probability);
        }
        memcpy(p, pt->text, (size_t)pt->len);
        p += pt->len;
    }
    *p++ = ',';
    p += mql_csv_quote(p, r.band, strlen(r.band), ',');
    *p++ = ',';
    *p++ = r.is_mql ? '1' : '0';
    for (size_t k = 0; k < MQL_N_REASONS; k++) {
        *p++ = ',';
        if (k < r.n_reasons) {
            memcpy(p, c->reason[r.reason[k]], c->reason_len[r.reason[k]]);
            p += c->reason_len[r.reason[k]];
        }
    }
    *p++ = '\n';
    return (size_t)(p - p0);
}

/* Scores one record and writes it, on the reading thread (the header: binds the scorers). */
static int score_row(const mql_csv_row *row, void *vctx, mql_err *err)
{
    score_ctx *c = vctx;
    if (row->index == 0)
        return score_header(c, row, err);
    if (line_room(c, 0, record_room(c, row)))
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    size_t used = format_record(c, &c->sc[0], row, c->line);
    if (fwrite(c->line, 1, used, c->f) != used)
        return mql_err_set(err, MQL_EIO, "writing the scored leads failed: %s", strerror(errno));
    return MQL_OK;
}

/* ---------------------------------------------------------------- reader / scorer pipeline
 *
 * The reading thread checks and copies records into a ring of N_BATCH batches of SCORE_BATCH
 * records; batch k (counting from 0) lives in b[k % N_BATCH]. A filled batch is handed over,
 * claimed by the worker thread or by the reading thread itself (which scores rather than waits
 * whenever the batch it would fill next is still in use: scoring and writing cost three times
 * what reading does, so one thread of each kind left a core idle), scored and formatted into
 * the batch's own output text, and written. Batches are scored in any order on either thread
 * but written strictly in order: the thread that finishes a batch writes every finished batch
 * next in line, unless the other thread is writing, which then writes them too. One writer at a
 * time, in input order, so the output is byte-identical to a one-thread run. */

#define SCORE_BATCH 2048
#define N_BATCH 6

enum batch_state { B_FREE, B_FILLED, B_BUSY, B_DONE };

typedef struct batch {
    size_t n_rows, n_fields;       /* rows and fields held */
    size_t *row_nf, *row_index, *row_line;   /* SCORE_BATCH each */
    size_t *off, *len, cap_f;      /* per field: offset in text, length */
    char *text;                    /* the fields, each followed by a NUL */
    size_t used, cap_t;
    char *out;                     /* the formatted records */
    size_t out_n, out_cap;
    enum batch_state state;        /* under the pipeline's lock */
} batch;

typedef struct pipeline {
    score_ctx *c;
    batch b[N_BATCH];
    size_t n_filled;               /* batches handed over so far */
    size_t n_claimed;              /* ... claimed for scoring (the next one to claim) */
    size_t n_written;              /* ... written (the next one to write) */
    int writing;                   /* a thread is writing */
    int started, done;             /* worker running; no more batches */
    int status;                    /* the first failure of a batch (memory, writing) */
    mql_err err;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t tid;
} pipeline;

/* Scores and formats the rows of b into b->out, in order; MQL_OK or MQL_ENOMEM. */
static int format_batch(score_ctx *c, scoring *w, batch *b, mql_err *err)
{
    /* each field at most twice its bytes and quotes and a separator (sum 2 (len + 1) + 1),
     * and the added columns */
    size_t room = 2 * b->used + b->n_fields + b->n_rows * c->tail_room;
    if (room > b->out_cap) {
        char *o = realloc(b->out, room);
        if (!o)
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        b->out = o;
        b->out_cap = room;
    }
    b->out_n = 0;
    size_t f0 = 0;
    for (size_t r = 0; r < b->n_rows; r++) {
        size_t nf = b->row_nf[r];
        if (nf > w->cap_fields) {
            char **v = realloc(w->fields, nf * sizeof *v);
            if (!v)
                return mql_err_set(err, MQL_ENOMEM, "out of memory");
            w->fields = v;
            w->cap_fields = nf;
        }
        for (size_t k = 0; k < nf; k++)
            w->fields[k] = b->text + b->off[f0 + k];
        mql_csv_row row = {b->row_index[r], b->row_line[r], nf, w->fields, b->len + f0};
        b->out_n += format_record(c, w, &row, b->out + b->out_n);
        f0 += nf;
    }
    return MQL_OK;
}

/* Records the first failure (pl->mu held). */
static void pipeline_fail(pipeline *pl, int st, const mql_err *e)
{
    if (st && pl->status == MQL_OK) {
        pl->status = st;
        pl->err = *e;
    }
}

/* Scores batch k, which the calling thread has claimed, then writes the finished batches next
 * in line unless another thread is writing. Called and returns with pl->mu held. After a
 * failure batches are passed over unscored and unwritten (the output is discarded). */
static void run_batch(pipeline *pl, scoring *w, size_t k)
{
    batch *b = &pl->b[k % N_BATCH];
    int skip = pl->status != MQL_OK;
    b->state = B_BUSY;
    pthread_mutex_unlock(&pl->mu);
    mql_err e;
    int st = skip ? MQL_OK : format_batch(pl->c, w, b, &e);
    pthread_mutex_lock(&pl->mu);
    pipeline_fail(pl, st, &e);
    b->state = B_DONE;
    while (!pl->writing && pl->b[pl->n_written % N_BATCH].state == B_DONE) {
        batch *wb = &pl->b[pl->n_written % N_BATCH];
        int write = pl->status == MQL_OK;
        pl->writing = 1;
        pthread_mutex_unlock(&pl->mu);
        int bad = write && fwrite(wb->out, 1, wb->out_n, pl->c->f) != wb->out_n;
        if (bad)
            mql_err_set(&e, MQL_EIO, "writing the scored leads failed: %s", strerror(errno));
        pthread_mutex_lock(&pl->mu);
        pipeline_fail(pl, bad ? MQL_EIO : MQL_OK, &e);
        wb->state = B_FREE;
        pl->n_written++;
        pl->writing = 0;
    }
    pthread_cond_broadcast(&pl->cv);
}

static void *worker(void *arg)
{
    pipeline *pl = arg;
    pthread_mutex_lock(&pl->mu);
    for (;;) {
        while (pl->n_claimed == pl->n_filled && !pl->done)
            pthread_cond_wait(&pl->cv, &pl->mu);
        if (pl->n_claimed == pl->n_filled)
            break;
        run_batch(pl, &pl->c->sc[1], pl->n_claimed++);
    }
    pthread_mutex_unlock(&pl->mu);
    return NULL;
}

/* Hands the filled batch over and waits for the next one to be free, scoring batches meanwhile.
 * Returns the first failure of a batch, if any. */
static int batch_submit(pipeline *pl, mql_err *err)
{
    batch *b = &pl->b[pl->n_filled % N_BATCH];
    if (b->n_rows == 0)
        return MQL_OK;
    pthread_mutex_lock(&pl->mu);
    b->state = B_FILLED;
    pl->n_filled++;
    pthread_cond_broadcast(&pl->cv);
    batch *nb = &pl->b[pl->n_filled % N_BATCH];
    while (nb->state != B_FREE) {
        if (pl->n_claimed < pl->n_filled)
            run_batch(pl, &pl->c->sc[0], pl->n_claimed++);
        else
            pthread_cond_wait(&pl->cv, &pl->mu);
    }
    int st = pl->status;
    if (st && err)
        *err = pl->err;
    pthread_mutex_unlock(&pl->mu);
    nb->n_rows = nb->n_fields = nb->used = 0;
    return st;
}

/* Copies one record into the batch being filled. */
static int batch_add(pipeline *pl, const mql_csv_row *row, mql_err *err)
{
    batch *b = &pl->b[pl->n_filled % N_BATCH];
    size_t nf = row->n_fields, bytes = 0;
    for (size_t k = 0; k < nf; k++)
        bytes += row->len[k] + 1;
    if (b->n_fields + nf > b->cap_f) {
        size_t cap = b->cap_f ? b->cap_f : 1024;
        while (cap < b->n_fields + nf)
            cap *= 2;
        size_t *o = realloc(b->off, cap * sizeof *o);
        if (o)
            b->off = o;
        size_t *l = o ? realloc(b->len, cap * sizeof *l) : NULL;
        if (!l)
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        b->len = l;
        b->cap_f = cap;
    }
    if (b->used + bytes > b->cap_t) {
        size_t cap = b->cap_t ? b->cap_t : 65536;
        while (cap < b->used + bytes)
            cap *= 2;
        char *t = realloc(b->text, cap);
        if (!t)
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        b->text = t;
        b->cap_t = cap;
    }
    /* The reader stores a record's fields back to back, each followed by its NUL: then the
     * record is one copy (bytes then counts the span exactly), else a copy per field. */
    const char *first = nf ? row->field[0] : NULL;
    int whole = nf > 0;
    for (size_t k = 1; k < nf && whole; k++)
        whole = row->field[k] == row->field[k - 1] + row->len[k - 1] + 1;
    if (whole)
        memcpy(b->text + b->used, first, bytes);
    for (size_t k = 0; k < nf; k++) {
        b->off[b->n_fields] = b->used;
        b->len[b->n_fields++] = row->len[k];
        if (!whole) {
            memcpy(b->text + b->used, row->field[k], row->len[k]);
            b->text[b->used + row->len[k]] = '\0';
        }
        b->used += row->len[k] + 1;
    }
    b->row_index[b->n_rows] = row->index;
    b->row_line[b->n_rows] = row->line;
    b->row_nf[b->n_rows++] = nf;
    return b->n_rows == SCORE_BATCH ? batch_submit(pl, err) : MQL_OK;
}

typedef struct read_ctx {
    score_ctx *c;
    pipeline *pl;
    int direct;                    /* score on the reading thread (--activity) */
} read_ctx;

/* The checks of `fit`'s reader that hold for records (csv.h, table_ops.h): a value in a column
 * without a name is an error, and so is the header line repeated (two exports joined); a last
 * record that reads like a totals row is noted for the warning at the end. */
static int read_checks(score_ctx *c, const mql_csv_row *row, mql_err *err)
{
    size_t n = row->n_fields;
    if (row->index == 0) {
        size_t total = 0;
        for (size_t j = 0; j < n; j++)
            total += row->len[j];
        c->unnamed = calloc(n ? n : 1, 1);
        c->first_copy = strdup(n ? row->field[0] : "");
        c->hdr_text = malloc(total ? total : 1);
        c->hdr_len = malloc((n ? n : 1) * sizeof *c->hdr_len);
        if (!c->unnamed || !c->first_copy || !c->hdr_text || !c->hdr_len)
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        c->n_hdr = n;
        for (size_t j = 0, at = 0; j < n; at += row->len[j], j++) {
            c->unnamed[j] = row->len[j] == 0;   /* as the table reader (table.c) */
            c->n_named += !c->unnamed[j];
            memcpy(c->hdr_text + at, row->field[j], row->len[j]);
            c->hdr_len[j] = row->len[j];
        }
        return MQL_OK;
    }
    c->last_index = row->index;
    if (n == c->n_hdr && n > 1 &&
        (row->len[0] == c->hdr_len[0] || row->len[0] == c->hdr_len[0] + 3) &&
        mql_header_cell_is(row->field[0], row->len[0], c->first_copy)) {
        size_t j = 1, at = c->hdr_len[0];
        while (j < n && row->len[j] == c->hdr_len[j] &&
               memcmp(row->field[j], c->hdr_text + at, row->len[j]) == 0)
            at += c->hdr_len[j++];
        if (j == n)
            return mql_header_row_error(c->path, row->line, err);
    }
    for (size_t j = 0; c->n_named < c->n_hdr && j < n && j < c->n_hdr; j++)
        if (c->unnamed[j] && mql_csv_nonblank(row->field[j], row->len[j]))
            return mql_csv_unnamed_error(c->path, row->line, j, row->field[j], row->len[j], err);
    if (n && !c->unnamed[0] && mql_totals_label(row->field[0], row->len[0])) {
        c->tot_index = row->index;
        c->tot_line = row->line;
        c->tot_empty = 0;
        for (size_t j = 1; j < n && j < c->n_hdr; j++)
            c->tot_empty += !c->unnamed[j] && mql_na_match(row->field[j], row->len[j], c->na,
                                                            c->n_na);
        const char *t;
        size_t k = mql_trim_span(row->field[0], row->len[0], &t);
        snprintf(c->tot_label, sizeof c->tot_label, "%.*s", (int)k, t);
    }
    return MQL_OK;
}

/* After the last record: the warning `fit` gives about a totals row at the end of the export. */
static void totals_warning(const score_ctx *c)
{
    size_t n_other = c->n_named ? c->n_named - 1 : 0;
    if (c->tot_index && c->tot_index == c->last_index && c->last_index >= 2 &&
        mql_totals_row_cells(c->tot_label, strlen(c->tot_label), c->tot_empty, n_other))
        cli_warn_totals_row(c->path, c->tot_line, c->tot_label, c->first_copy, c->tot_empty,
                            n_other, "scored");
}

static int on_row(const mql_csv_row *row, void *vctx, mql_err *err)
{
    read_ctx *rc = vctx;
    int st = read_checks(rc->c, row, err);
    if (st)
        return st;
    if (row->index == 0 || rc->direct)
        return score_row(row, rc->c, err);
    if (row->index == 1)   /* the header is out: the worker takes over (or, without one, here) */
        rc->pl->started = pthread_create(&rc->pl->tid, NULL, worker, rc->pl) == 0;
    return batch_add(rc->pl, row, err);
}

/* Reads, scores and writes LEADS; the pipeline's resources are freed on every path. */
static int score_stream(score_ctx *c, const char *leads, const mql_csv_opts *co, mql_err *err)
{
    pipeline pl = {.c = c};
    int st = MQL_OK;
    pthread_mutex_init(&pl.mu, NULL);
    pthread_cond_init(&pl.cv, NULL);
    for (int i = 0; i < N_BATCH; i++) {
        pl.b[i].row_nf = malloc(SCORE_BATCH * sizeof *pl.b[i].row_nf);
        pl.b[i].row_index = malloc(SCORE_BATCH * sizeof *pl.b[i].row_index);
        pl.b[i].row_line = malloc(SCORE_BATCH * sizeof *pl.b[i].row_line);
        if (!pl.b[i].row_nf || !pl.b[i].row_index || !pl.b[i].row_line)
            st = mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    read_ctx rc = {c, &pl, c->log != NULL};
    if (st == MQL_OK)
        st = mql_csv_read(leads, co, on_row, &rc, NULL, err);
    if (st == MQL_OK)
        st = batch_submit(&pl, err);
    /* The batches not yet claimed are scored here too, then the worker ends; every batch handed
     * over is written when both are through (after a reading error too, as the one-thread
     * scorer would have: on standard output the leads before the last full batch come out
     * whatever the timing; the partial batch never does). */
    pthread_mutex_lock(&pl.mu);
    pl.done = 1;
    while (pl.n_claimed < pl.n_filled)
        run_batch(&pl, &c->sc[0], pl.n_claimed++);
    pthread_cond_broadcast(&pl.cv);
    pthread_mutex_unlock(&pl.mu);
    if (pl.started)
        pthread_join(pl.tid, NULL);
    if (st == MQL_OK && pl.status) {
        st = pl.status;
        *err = pl.err;
    }
    for (int i = 0; i < N_BATCH; i++) {
        free(pl.b[i].row_nf);
        free(pl.b[i].row_index);
        free(pl.b[i].row_line);
        free(pl.b[i].off);
        free(pl.b[i].len);
        free(pl.b[i].text);
        free(pl.b[i].out);
    }
    for (int t = 0; t < 2; t++)
        free(c->sc[t].fields);
    pthread_mutex_destroy(&pl.mu);
    pthread_cond_destroy(&pl.cv);
    return st;
}

typedef struct score_opts {
    const char *out, *thr, *na, *delim, *key;
    cli_activity act;
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
    if (r == 0)
        r = cli_opt(argc, argv, i, "--key", &o->key);
    if (r == 0)
        r = cli_activity_opt(&o->act, argc, argv, i);
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
    mql_activity *act_log = NULL;
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
    if (so.act.path || so.key || so.act.as_of) {
        if (!so.act.path || !so.key || !so.act.as_of) {
            cli_error("score: --activity FILE, --key COL and --as-of DATE go together");
            st = MQL_EUSAGE;
            goto done;
        }
        if (so.act.as_of_days || so.act.every || so.act.horizon || so.act.decay || so.act.won_date) {
            cli_error("score: the model fixes the decay; of the activity options score takes "
                      "--activity, --key, --as-of and --event-*");
            st = MQL_EUSAGE;
            goto done;
        }
        int has_time;
        if (mql_date_parse(so.act.as_of, strlen(so.act.as_of), &c.as_of, &has_time)) {
            cli_error("--as-of: expected a date YYYY-MM-DD[ HH:MM:SS], got '%s'", so.act.as_of);
            st = MQL_EUSAGE;
            goto done;
        }
        mql_activity_spec asp = {.path = so.act.path, .key = so.key,
                                 .event_key = so.act.event_key, .type_col = so.act.event_type,
                                 .time_col = so.act.event_time, .count_col = so.act.event_count};
        if ((st = mql_activity_load(&asp, NULL, -1, &act_log, &err))) {
            cli_error("%s", err.msg);
            goto done;
        }
        c.log = act_log;
        c.key = so.key;
    }
    cli_out o;
    if ((st = cli_out_open(&o, out)))
        goto done;
    c.f = o.f;
    st = score_stream(&c, leads, &co, &err);
    if (st)
        cli_error("%s", err.msg);
    int cst = cli_out_close(&o, st == MQL_OK);
    if (st == MQL_OK)
        st = cst;
    if (st == MQL_OK)
        totals_warning(&c);
    if (st == MQL_OK && c.log)
        fprintf(stderr, "mqlcal: activity as of %s: %zu MQLs; %zu more leads would be MQLs if "
                "engagement never decayed (their points come from faded activity); %zu leads had "
                "no events in %s\n", so.act.as_of, c.n_mql, c.n_stale, c.n_no_events,
                c.log->source);
done:
    if (c.reason)
        for (size_t k = 0; k < c.m->n_rules; k++)
            free(c.reason[k]);
    free(c.reason);
    free(c.reason_len);
    free(c.line);
    for (int t = 0; t < 2; t++)
        mql_scorer_free(c.sc[t].s);
    mql_scorer_free(c.s_nodecay);
    free(c.af);
    free(c.ext);
    free(c.num);
    free(c.unnamed);
    free(c.first_copy);
    free(c.hdr_text);
    free(c.hdr_len);
    mql_activity_free(act_log);
    mql_points_free(c.m);
    mql_na_clear(&na_list);
    return st;
}
