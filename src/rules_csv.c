/* rules_csv.c: the rules CSV people read and write (DESIGN section 3): reader with line-numbered
 * errors, writer that round-trips exactly. */
#include "mqlcal/rules_csv.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== rules CSV ============================================================================== */

/* Splits one line into fields (quotes: "a,b" and "" for a quote). Fields are written into the
 * caller's buffer copy. Returns the field count, or -1 for an unterminated quote. */
static long split_fields(char *line, char delim, char **field, size_t max)
{
    size_t n = 0;
    char *p = line, *w;
    for (;;) {
        if (n == max)
            return (long)n + 1;
        field[n++] = w = p;
        /* skip leading blanks before a quote */
        char *q = p;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q == '"') {
            p = q + 1;
            for (;;) {
                if (!*p)
                    return -1;
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *w++ = *p++;
                }
            }
            while (*p && *p != delim)
                p++;   /* blanks after the closing quote */
        } else {
            while (*p && *p != delim)
                *w++ = *p++;
        }
        int more = *p == delim;
        *w = '\0';
        if (!more)
            return (long)n;
        p++;
    }
}

/* "# decay: FEATURE | SPEC | words ...; per event: +P points when fresh". */
static int parse_decay(mql_points *m, const char *s, const char *name, size_t ln, mql_err *err)
{
    char *copy = mql_strdup(s);
    if (!copy)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    char *bar = strstr(copy, " | ");
    int rc = MQL_OK;
    if (!bar) {
        rc = mql_err_set(err, MQL_EDATA, "%s:%zu: bad '# decay:' line (want '# decay: FEATURE | "
                         "half-life:D' or window:N or none)", name, ln);
        goto done;
    }
    *bar = '\0';
    char *spec = bar + 3, *bar2 = strstr(spec, " | ");
    if (bar2)
        *bar2 = '\0';
    char *feature = mql_trim_dup(copy), *sp = mql_trim_dup(spec);
    mql_decay d;
    double per_event = NAN;
    if (bar2) {
        const char *pe = strstr(bar2 + 3, "per event: ");
        if (pe)
            per_event = strtod(pe + 11, NULL);
    }
    if (!feature || !sp)
        rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
    else if (!*feature)
        rc = mql_err_set(err, MQL_EDATA, "%s:%zu: '# decay:' names no feature", name, ln);
    else if (mql_decay_parse(sp, &d, err))
        rc = mql_err_prefix(err, MQL_EDATA, "%s:%zu", name, ln);
    else
        rc = mql_points_set_decay(m, feature, &d, per_event, err);
    free(feature);
    free(sp);
done:
    free(copy);
    return rc;
}

/* "# score_map: ...", "# pdo: X", "# na: A,B" and "# decay: ..." comment lines. Other comments are ignored. A
 * "# na:" line must come before the rules, whose values it decides (mqlcal writes it first). */
static int parse_comment(mql_points *m, const char *line, const char *name, size_t ln,
                         mql_err *err)
{
    const char *s = line + 1;
    while (*s == ' ' || *s == '\t')
        s++;
    if (strncmp(s, "pdo:", 4) == 0) {
        char *v = mql_trim_dup(s + 4);
        int bad = !v || mql_parse_double(v, &m->pdo);
        free(v);
        return bad ? mql_err_set(err, MQL_EDATA, "%s:%zu: bad '# pdo:' line", name, ln) : MQL_OK;
    }
    if (strncmp(s, "na:", 3) == 0) {
        if (m->n_rules)
            return mql_err_set(err, MQL_EDATA, "%s:%zu: the '# na:' line must come before the "
                               "rules", name, ln);
        mql_na_list l;
        int rc = mql_na_parse(s + 3, &l, err);
        if (rc)
            return mql_err_prefix(err, rc == MQL_EUSAGE ? MQL_EDATA : rc, "%s:%zu: '# na:'",
                                  name, ln);
        rc = mql_points_set_na(m, (const char *const *)l.v, l.n, err);
        mql_na_clear(&l);
        return rc;
    }
    if (strncmp(s, "decay:", 6) == 0)
        return parse_decay(m, s + 6, name, ln, err);
    if (strncmp(s, "score_map:", 10) != 0)
        return MQL_OK;
    s += 10;
    char *copy = mql_strdup(s);
    if (!copy)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    char *save = NULL, *tok = strtok_r(copy, " \t", &save);
    int ok = tok != NULL, iso = 0, have_a = 0, have_b = 0;
    if (ok && strcmp(tok, "isotonic") == 0)
        iso = 1;
    else if (!ok || strcmp(tok, "logistic") != 0)
        ok = 0;
    free(m->map_method);
    m->map_method = NULL;
    m->n_iso = 0;
    while (ok && (tok = strtok_r(NULL, " \t", &save))) {
        char *eq = strchr(tok, iso ? ':' : '=');
        if (!eq) {
            ok = 0;
            break;
        }
        *eq = '\0';
        if (!iso && strcmp(tok, "method") == 0) {
            free(m->map_method);
            ok = (m->map_method = mql_strdup(eq + 1)) != NULL && eq[1];
        } else if (!iso && strcmp(tok, "a") == 0) {
            ok = mql_parse_double(eq + 1, &m->map_a) == 0, have_a = 1;
        } else if (!iso && strcmp(tok, "b") == 0) {
            ok = mql_parse_double(eq + 1, &m->map_b) == 0, have_b = 1;
        } else if (iso) {
            double x, y;
            double *nx = realloc(m->iso_x, (m->n_iso + 1) * sizeof *nx);
            if (nx)
                m->iso_x = nx;
            double *ny = nx ? realloc(m->iso_y, (m->n_iso + 1) * sizeof *ny) : NULL;
            if (ny)
                m->iso_y = ny;
            ok = nx && ny && mql_parse_double(tok, &x) == 0 && mql_parse_double(eq + 1, &y) == 0 &&
                 y >= 0 && y <= 1 && (m->n_iso == 0 || x > m->iso_x[m->n_iso - 1]);
            if (ok) {
                m->iso_x[m->n_iso] = x;
                m->iso_y[m->n_iso++] = y;
            }
        } else {
            ok = 0;
        }
    }
    free(copy);
    if (ok && iso)
        ok = m->n_iso > 0 && (m->map_method = mql_strdup("isotonic")) != NULL;
    if (ok && !iso)
        ok = have_a && have_b;
    if (!ok)
        return mql_err_set(err, MQL_EDATA, "%s:%zu: bad '# score_map:' line (want 'logistic "
                           "a=A b=B' or 'isotonic S:P S:P ...')", name, ln);
    m->has_map = 1;
    return MQL_OK;
}

int mql_points_read_stream(FILE *f, const char *name, mql_points **out, mql_err *err)
{
    *out = NULL;
    mql_points *m = mql_points_new();
    if (!m)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    char *line = NULL;
    size_t cap = 0, ln = 0, thr_line = 0;
    ssize_t len;
    int rc = MQL_OK, header = 0;
    char delim = ',';
    while (rc == MQL_OK && (len = getline(&line, &cap, f)) >= 0) {
        ln++;
        char *s = line;
        if (ln == 1 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
            (unsigned char)s[2] == 0xBF)
            s += 3;
        size_t n = strlen(s);
        if (n != (size_t)len - (size_t)(s - line)) {
            rc = mql_err_set(err, MQL_EDATA, "%s:%zu: NUL byte in the line", name, ln);
            break;
        }
        while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
            s[--n] = '\0';
        const char *b;
        if (mql_trim_span(s, n, &b) == 0)
            continue;
        if (*b == '#') {
            rc = parse_comment(m, b, name, ln, err);
            continue;
        }
        char *fld[8];
        if (!header) {
            if (!strchr(s, ',') && strchr(s, ';'))
                delim = ';';
            long nf = split_fields(s, delim, fld, 8);
            static const char *const want[] = {"feature", "operator", "value", "points", "group"};
            int ok = nf == 4 || nf == 5;
            for (long i = 0; ok && i < nf; i++) {
                const char *h;
                size_t hl = mql_trim_span(fld[i], strlen(fld[i]), &h);
                ok = mql_span_ieq(h, hl, want[i], strlen(want[i]));
            }
            if (!ok)
                rc = mql_err_set(err, MQL_EDATA, "%s:%zu: the header must be "
                                 "feature,operator,value,points[,group]", name, ln);
            header = 1;
            continue;
        }
        long nf = split_fields(s, delim, fld, 8);
        if (nf < 0) {
            rc = mql_err_set(err, MQL_EDATA, "%s:%zu: unterminated quote", name, ln);
            break;
        }
        if (nf < 4 || nf > 5) {
            rc = mql_err_set(err, MQL_EDATA, "%s:%zu: %ld fields; a rule has 4 or 5 "
                             "(feature,operator,value,points[,group])", name, ln, nf);
            break;
        }
        char *pt = mql_trim_dup(fld[3]);
        if (!pt) {
            rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
            break;
        }
        long pts = 0;
        int bad_pts = mql_parse_long(pt, LONG_MIN / 4, LONG_MAX / 4, &pts) != 0;
        const char *fb, *ob;
        size_t fl = mql_trim_span(fld[0], strlen(fld[0]), &fb);
        size_t ol = mql_trim_span(fld[1], strlen(fld[1]), &ob);
        if (bad_pts) {
            rc = mql_err_set(err, MQL_EDATA, "%s:%zu: points '%s' is not an integer", name, ln,
                             pt);
        } else if (ol == 0 && mql_span_ieq(fb, fl, "threshold", 9)) {
            if (thr_line)
                rc = mql_err_set(err, MQL_EDATA, "%s:%zu: a second threshold row (the first is "
                                 "on line %zu)", name, ln, thr_line);
            m->threshold = pts;
            thr_line = ln;
        } else {
            mql_group g;
            mql_rule *nr = realloc(m->rules, (m->n_rules + 1) * sizeof *nr);
            if (nr)
                m->rules = nr;
            if (!nr)
                rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
            else if (mql_group_parse(nf == 5 ? fld[4] : "", fld[0], &g))
                rc = mql_err_set(err, MQL_EDATA, "%s:%zu: group '%s' is neither fit nor "
                                 "engagement", name, ln, fld[4]);
            else {
                rc = mql_rule_init_na(&m->rules[m->n_rules], fld[0], fld[1], fld[2], pts, g,
                                      mql_points_na(m), m->na.n, err);
                if (rc)
                    mql_err_prefix(err, rc, "%s:%zu", name, ln);
                else
                    m->rules[m->n_rules++].line = ln;
            }
        }
        free(pt);
    }
    free(line);
    if (rc == MQL_OK && ferror(f))
        rc = mql_err_set(err, MQL_EIO, "%s: read error: %s", name, strerror(errno));
    if (rc == MQL_OK && !header)
        rc = mql_err_set(err, MQL_EDATA, "%s: no header line feature,operator,value,points,group",
                         name);
    if (rc == MQL_OK && !thr_line)
        rc = mql_err_set(err, MQL_EDATA, "%s: no threshold row (add a line 'threshold,,,N': "
                         "MQL when score >= N)", name);
    if (rc == MQL_OK)
        rc = mql_points_check_overlaps(m, name, err);
    if (rc == MQL_OK)
        rc = mql_points_make_bands(m, err);
    if (rc) {
        mql_points_free(m);
        return rc;
    }
    *out = m;
    return MQL_OK;
}

int mql_points_read_csv(const char *path, mql_points **out, mql_err *err)
{
    *out = NULL;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f)
        return mql_err_set(err, MQL_EIO, "%s: %s", path, strerror(errno));
    int rc = mql_points_read_stream(f, path, out, err);
    if (f != stdin)
        fclose(f);
    return rc;
}

/* One CSV field, quoted when it holds the delimiter, a quote, CR/LF, blanks at either end, or
 * starts with '#' (which would read as a comment line). */
static int put_field(FILE *f, const char *s)
{
    size_t n = strlen(s);
    int q = n && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t' ||
                  s[0] == '#');
    q |= strpbrk(s, ",\"\r\n") != NULL;
    if (!q)
        return fputs(s, f) < 0 ? EOF : 0;
    if (putc('"', f) == EOF)
        return EOF;
    for (; *s; s++)
        if ((*s == '"' && putc('"', f) == EOF) || putc(*s, f) == EOF)
            return EOF;
    return putc('"', f) == EOF ? EOF : 0;
}

int mql_points_write_csv(const mql_points *m, FILE *f)
{
    int bad = 0;
    bad |= fprintf(f, "# mqlcal points model: %zu rules; MQL when score >= %ld\n", m->n_rules,
                   m->threshold) < 0;
    if (m->na.v) {
        /* the training file's placeholders, when not the defaults: they decide which values the
         * rules below read as missing (an empty list keeps every spelling as a value) */
        char buf[1024];
        mql_na_format(mql_points_na(m), m->na.n, buf, sizeof buf);
        bad |= fprintf(f, "# na: %s\n", buf) < 0;
    }
    if (m->has_map && m->map_method && strcmp(m->map_method, "isotonic") == 0) {
        bad |= fputs("# score_map: isotonic", f) < 0;
        for (size_t i = 0; i < m->n_iso; i++)
            bad |= fprintf(f, " %.17g:%.17g", m->iso_x[i], m->iso_y[i]) < 0;
        bad |= putc('\n', f) == EOF;
    } else if (m->has_map) {
        bad |= fprintf(f, "# score_map: logistic a=%.17g b=%.17g", m->map_a, m->map_b) < 0;
        if (m->map_method)
            bad |= fprintf(f, " method=%s", m->map_method) < 0;
        bad |= putc('\n', f) == EOF;
    }
    if (isfinite(m->pdo))
        bad |= fprintf(f, "# pdo: %.17g\n", m->pdo) < 0;
    for (size_t i = 0; i < m->n_decays; i++) {
        /* "# decay: FEATURE | SPEC | words": the feature is computed from an activity log with
         * that decay (the reader takes the first two parts; the words are for people). */
        const mql_feature_decay *fd = &m->decays[i];
        char spec[64], words[200];
        bad |= fprintf(f, "# decay: %s | %s | %s", fd->feature,
                       mql_decay_spec(&fd->decay, spec, sizeof spec),
                       mql_decay_text(&fd->decay, words, sizeof words)) < 0;
        if (isfinite(fd->per_event))
            bad |= fprintf(f, "; per event: %+.3g points when fresh", fd->per_event) < 0;
        bad |= putc('\n', f) == EOF;
    }
    if (isfinite(m->auc_exact) && isfinite(m->auc_points))
        bad |= fprintf(f, "# rounding cost on the training leads: AUC %.4f -> %.4f, log loss "
                       "%.4f -> %.4f\n", m->auc_exact, m->auc_points, m->logloss_exact,
                       m->logloss_points) < 0;
    bad |= fputs("feature,operator,value,points,group\n", f) < 0;
    for (size_t i = 0; i < m->n_rules; i++) {
        const mql_rule *r = &m->rules[i];
        bad |= put_field(f, r->feature) || putc(',', f) == EOF;
        bad |= fprintf(f, "%s,", mql_op_name(r->op)) < 0;
        bad |= put_field(f, r->value);
        bad |= fprintf(f, ",%ld,%s\n", r->points,
                       r->group == MQL_GROUP_ENGAGEMENT ? "engagement" : "fit") < 0;
    }
    bad |= fprintf(f, "threshold,,,%ld,\n", m->threshold) < 0;
    return bad || ferror(f) ? MQL_EIO : MQL_OK;
}

