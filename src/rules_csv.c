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

/* Reader state besides the model: the version, and per rule whether its points and group were
 * given (a version 2 rule spans rows, and gives them on one row or repeats them). */
typedef struct reader {
    int v2;
    unsigned char *pts_set, *grp_set;   /* per rule of m */
    size_t cap_line[3];                 /* line of the fit / engagement / total cap row, 0 */
} reader;

static void reader_free(reader *rd)
{
    free(rd->pts_set);
    free(rd->grp_set);
}

/* One data row: threshold, cap, a one-condition rule, or a condition of a named (version 2)
 * rule. */
static int read_row(mql_points *m, reader *rd, char **fld, size_t nf, const char *name,
                    size_t ln, size_t *thr_line, mql_err *err)
{
    const char *fb, *ob, *pb, *gb, *nb = "";
    size_t fl = mql_trim_span(fld[0], strlen(fld[0]), &fb);
    size_t ol = mql_trim_span(fld[1], strlen(fld[1]), &ob);
    size_t pl = mql_trim_span(fld[3], strlen(fld[3]), &pb);
    size_t gl = nf >= 5 ? mql_trim_span(fld[4], strlen(fld[4]), &gb) : (gb = "", 0);
    size_t nl = nf >= 6 ? mql_trim_span(fld[5], strlen(fld[5]), &nb) : 0;
    char pt[64], gtext[32];
    long pts = 0;
    int has_pts = pl > 0;
    if (pl >= sizeof pt)
        return mql_err_set(err, MQL_EDATA, "%s:%zu: points '%.*s' is not an integer", name, ln,
                           (int)(pl > 40 ? 40 : pl), pb);
    memcpy(pt, pb, pl);
    pt[pl] = '\0';
    if (has_pts && mql_parse_long(pt, LONG_MIN / 4, LONG_MAX / 4, &pts))
        return mql_err_set(err, MQL_EDATA, "%s:%zu: points '%s' is not an integer", name, ln, pt);
    snprintf(gtext, sizeof gtext, "%.*s", (int)(gl < 31 ? gl : 31), gb);
    if (ol == 0 && (mql_span_ieq(fb, fl, "threshold", 9) || mql_span_ieq(fb, fl, "cap", 3))) {
        int thr = mql_span_ieq(fb, fl, "threshold", 9);
        if (!has_pts)
            return mql_err_set(err, MQL_EDATA, "%s:%zu: points '' is not an integer", name, ln);
        if (nl)
            return mql_err_set(err, MQL_EDATA, "%s:%zu: a %s row takes no rule name", name, ln,
                               thr ? "threshold" : "cap");
        if (thr) {
            if (*thr_line)
                return mql_err_set(err, MQL_EDATA, "%s:%zu: a second threshold row (the first "
                                   "is on line %zu)", name, ln, *thr_line);
            m->threshold = pts;
            *thr_line = ln;
            return MQL_OK;
        }
        int k = mql_span_ieq(gb, gl, "fit", 3) ? 0 : mql_span_ieq(gb, gl, "engagement", 10) ? 1
                : mql_span_ieq(gb, gl, "total", 5) ? 2 : -1;
        if (k < 0)
            return mql_err_set(err, MQL_EDATA, "%s:%zu: a cap row names fit, engagement or total "
                               "in the group column, not '%s'", name, ln, gtext);
        if (rd->cap_line[k])
            return mql_err_set(err, MQL_EDATA, "%s:%zu: a second %s cap (the first is on line "
                               "%zu)", name, ln, gtext, rd->cap_line[k]);
        rd->cap_line[k] = ln;
        *(k == 0 ? &m->cap_fit : k == 1 ? &m->cap_engagement : &m->cap_total) = pts;
        return MQL_OK;
    }
    mql_group g;
    if (mql_group_parse(gtext, fld[0], &g) || gl >= 31)
        return mql_err_set(err, MQL_EDATA, "%s:%zu: group '%s' is neither fit nor engagement",
                           name, ln, gtext);
    char rname[256];
    snprintf(rname, sizeof rname, "%.*s", (int)(nl < 255 ? nl : 255), nb);
    long at = -1;
    for (size_t i = 0; nl && i < m->n_rules && at < 0; i++)
        if (m->rules[i].name && strcmp(m->rules[i].name, rname) == 0)
            at = (long)i;
    int rc;
    if (at >= 0) {
        mql_rule *r = &m->rules[at];
        if ((rc = mql_rule_add_cond_na(r, fld[0], fld[1], fld[2], mql_points_na(m), m->na.n,
                                       err)))
            return mql_err_prefix(err, rc, "%s:%zu: rule '%s'", name, ln, rname);
        if (has_pts && rd->pts_set[at] && pts != r->points)
            return mql_err_set(err, MQL_EDATA, "%s:%zu: rule '%s' has points %ld here and %ld on "
                               "line %zu (give them once)", name, ln, rname, pts, r->points,
                               r->line);
        if (gl && rd->grp_set[at] && g != r->group)
            return mql_err_set(err, MQL_EDATA, "%s:%zu: rule '%s' has two groups", name, ln,
                               rname);
        if (has_pts)
            r->points = pts, rd->pts_set[at] = 1;
        if (gl)
            r->group = g, rd->grp_set[at] = 1;
        return MQL_OK;
    }
    if (!has_pts && !nl)
        return mql_err_set(err, MQL_EDATA, "%s:%zu: points '' is not an integer", name, ln);
    mql_rule *nr = realloc(m->rules, (m->n_rules + 1) * sizeof *nr);
    if (nr)
        m->rules = nr;
    unsigned char *ps = nr ? realloc(rd->pts_set, m->n_rules + 1) : NULL;
    if (ps)
        rd->pts_set = ps;
    unsigned char *gs = ps ? realloc(rd->grp_set, m->n_rules + 1) : NULL;
    if (gs)
        rd->grp_set = gs;
    if (!gs)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    mql_rule *r = &m->rules[m->n_rules];
    if ((rc = mql_rule_init_na(r, fld[0], fld[1], fld[2], pts, g, mql_points_na(m), m->na.n,
                               err)))
        return mql_err_prefix(err, rc, "%s:%zu", name, ln);
    if ((rc = mql_rule_set_name(r, nl ? rname : NULL, err))) {
        mql_rule_clear(r);
        return rc;
    }
    r->line = ln;
    rd->pts_set[m->n_rules] = (unsigned char)has_pts;
    rd->grp_set[m->n_rules] = gl > 0;
    m->n_rules++;
    return MQL_OK;
}

/* The field count without the blank fields at the end of a row (nf fields, 1 to the array's
 * size): a spreadsheet that saved the rules keeps its empty columns at the right as trailing
 * separators (",,"). */
static long drop_blank_tail(char **fld, long nf)
{
    while (nf > 0) {
        const char *b;
        if (mql_trim_span(fld[nf - 1], strlen(fld[nf - 1]), &b) > 0)
            break;
        nf--;
    }
    return nf;
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
    reader rd = {0};
    while (rc == MQL_OK && (len = getline(&line, &cap, f)) >= 0) {
        ln++;
        char *s = line;
        if (ln == 1 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
            (unsigned char)s[2] == 0xBF)
            s += 3;
        /* Excel's "Unicode Text" (and Notepad's "Unicode") is UTF-16 with a byte order mark:
         * every other byte of the rules is NUL, which said nothing of the cause. */
        const unsigned char *u = (const unsigned char *)s;
        if (ln == 1 && len >= 2 &&
            ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) {
            rc = mql_err_set(err, MQL_EDATA, "%s: the file is UTF-16 text (Excel's \"Unicode "
                             "Text\"), not UTF-8: save it as \"CSV UTF-8\", or convert it with "
                             "iconv -f UTF-16 -t UTF-8", name);
            break;
        }
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
        char *fld[64];
        if (!header) {
            if (!strchr(s, ',') && strchr(s, ';'))
                delim = ';';
            long nf = split_fields(s, delim, fld, 64);
            if (nf > 0 && nf <= 64)
                nf = drop_blank_tail(fld, nf);
            static const char *const want[] = {"feature", "operator", "value", "points", "group",
                                               "rule"};
            int ok = nf >= 4 && nf <= 6;
            for (long i = 0; ok && i < nf; i++) {
                const char *h;
                size_t hl = mql_trim_span(fld[i], strlen(fld[i]), &h);
                ok = mql_span_ieq(h, hl, want[i], strlen(want[i]));
            }
            if (!ok)
                rc = mql_err_set(err, MQL_EDATA, "%s:%zu: the header must be "
                                 "feature,operator,value,points[,group] (version 1) or "
                                 "feature,operator,value,points,group,rule (version 2)", name, ln);
            rd.v2 = nf == 6;
            header = 1;
            continue;
        }
        long nf = split_fields(s, delim, fld, 64);
        if (nf > 0 && nf <= 64)
            nf = drop_blank_tail(fld, nf);
        if (nf < 0) {
            rc = mql_err_set(err, MQL_EDATA, "%s:%zu: unterminated quote", name, ln);
            break;
        }
        if (rd.v2 ? nf < 4 || nf > 6 : nf < 4 || nf > 5) {
            rc = mql_err_set(err, MQL_EDATA, rd.v2 ? "%s:%zu: %ld fields; a row has 4 to 6 "
                             "(feature,operator,value,points,group,rule)"
                             : "%s:%zu: %ld fields; a rule has 4 or 5 "
                             "(feature,operator,value,points[,group])", name, ln, nf);
            break;
        }
        rc = read_row(m, &rd, fld, (size_t)nf, name, ln, &thr_line, err);
    }
    free(line);
    if (rc == MQL_OK && ferror(f))
        rc = mql_err_set(err, MQL_EIO, "%s: read error: %s", name, strerror(errno));
    if (rc == MQL_OK && !header)
        rc = mql_err_set(err, MQL_EDATA, "%s: no header line feature,operator,value,points,group",
                         name);
    for (size_t i = 0; rc == MQL_OK && i < m->n_rules; i++)
        if (!rd.pts_set[i])
            rc = mql_err_set(err, MQL_EDATA, "%s:%zu: rule '%s' has no points (give them on one "
                             "of its rows)", name, m->rules[i].line, m->rules[i].name);
    reader_free(&rd);
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
    int v2 = mql_points_is_v2(m);
    if (!v2) {
        bad |= fputs("feature,operator,value,points,group\n", f) < 0;
        for (size_t i = 0; i < m->n_rules; i++) {
            const mql_rule *r = &m->rules[i];
            bad |= put_field(f, r->cond[0].feature) || putc(',', f) == EOF;
            bad |= fprintf(f, "%s,", mql_op_name(r->cond[0].op)) < 0;
            bad |= put_field(f, r->cond[0].value);
            bad |= fprintf(f, ",%ld,%s\n", r->points,
                           r->group == MQL_GROUP_ENGAGEMENT ? "engagement" : "fit") < 0;
        }
        bad |= fprintf(f, "threshold,,,%ld,\n", m->threshold) < 0;
        return bad || ferror(f) ? MQL_EIO : MQL_OK;
    }
    /* Version 2: a compound rule is one row per condition sharing its name in the 'rule'
     * column, points and group on its first row; caps as "cap,,,N,fit|engagement|total". */
    bad |= fputs("# rules format version 2: rows with the same 'rule' name are one rule whose "
                 "conditions must all match\n", f) < 0;
    if (isfinite(m->auc_capped) && isfinite(m->logloss_capped))
        bad |= fprintf(f, "# cap cost on the training leads: AUC %.4f -> %.4f, log loss %.4f -> "
                       "%.4f (%.2f%% of leads capped)\n", m->auc_points, m->auc_capped,
                       m->logloss_points, m->logloss_capped, 100 * m->share_capped) < 0;
    bad |= fputs("feature,operator,value,points,group,rule\n", f) < 0;
    for (size_t i = 0; i < m->n_rules; i++) {
        const mql_rule *r = &m->rules[i];
        char gen[32];
        const char *nm = r->name;
        if (!nm && r->n_cond > 1) {
            /* an unnamed compound rule (built in code): a name no other rule has */
            snprintf(gen, sizeof gen, "rule %zu", i + 1);
            nm = gen;
        }
        for (size_t k = 0; k < r->n_cond; k++) {
            bad |= put_field(f, r->cond[k].feature) || putc(',', f) == EOF;
            bad |= fprintf(f, "%s,", mql_op_name(r->cond[k].op)) < 0;
            bad |= put_field(f, r->cond[k].value);
            if (k == 0)
                bad |= fprintf(f, ",%ld,%s,", r->points,
                               r->group == MQL_GROUP_ENGAGEMENT ? "engagement" : "fit") < 0;
            else
                bad |= fputs(",,,", f) < 0;
            bad |= put_field(f, nm ? nm : "") || putc('\n', f) == EOF;
        }
    }
    static const char *const cn[] = {"fit", "engagement", "total"};
    const long cv[] = {m->cap_fit, m->cap_engagement, m->cap_total};
    for (size_t k = 0; k < 3; k++)
        if (cv[k] != MQL_NO_CAP)
            bad |= fprintf(f, "cap,,,%ld,%s,\n", cv[k], cn[k]) < 0;
    bad |= fprintf(f, "threshold,,,%ld,,\n", m->threshold) < 0;
    return bad || ferror(f) ? MQL_EIO : MQL_OK;
}

