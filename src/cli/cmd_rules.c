/* cmd_rules.c: `mqlcal rules MODEL`: prints a points model as a readable table (group, rule in
 * words, points), as the rules CSV a CRM admin types in, as JSON or as Markdown. */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "mqlcal/rules_csv.h"
#include "mqlcal/report_table.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mqlcal rules MODEL [-o FILE] [--format table|csv|json|md]\n"
            "\n"
            "Prints the points table of MODEL (a model JSON written by mqlcal, or a rules CSV).\n"
            "\n"
            "  -o, --output FILE    write to FILE (atomically) instead of standard output\n"
            "  --format F           table (default) / md: group, rule in words, points, then the\n"
            "                       threshold and the bands; csv: the rules CSV format\n"
            "                       (feature,operator,value,points,group; mqlcal reads it back\n"
            "                       exactly); json: the points model as stored in model files\n"
            "  -h, --help           this help\n"
            "\n"
            "exit codes: 0 ok, 1 invalid model, 2 usage, 3 file cannot be read or written\n");
}

typedef struct rules_opts {
    const char *out;
    mql_format format;
} rules_opts;

static int match(void *vo, int argc, char **argv, int *i)
{
    rules_opts *o = vo;
    int r = cli_opt(argc, argv, i, "-o", &o->out);
    if (r == 0)
        r = cli_opt(argc, argv, i, "--output", &o->out);
    if (r == 0)
        r = cli_format_opt(argc, argv, i, &o->format, 1);
    return r;
}

int cmd_rules(int argc, char **argv)
{
    rules_opts ro = {.format = MQL_FMT_TABLE};
    cli_pos pos = {.cmd = "rules", .expect = "MODEL", .min = 1, .max = 1};
    int st = cli_parse(argc, argv, usage, match, &ro, &pos);
    if (st)
        return st < 0 ? MQL_OK : st;
    const char *model = pos.v[0], *out = ro.out;
    mql_format fmt = ro.format;
    mql_points *m;
    st = cli_model_points(model, &m);
    if (st)
        return st;
    cli_out o;
    if ((st = cli_out_open(&o, out))) {
        mql_points_free(m);
        return st;
    }
    int ok;
    errno = 0;
    if (fmt == MQL_FMT_CSV) {
        ok = mql_points_write_csv(m, o.f) == MQL_OK;
    } else if (fmt == MQL_FMT_JSON) {
        json_t *j = mql_points_to_json(m);
        ok = j && json_dumpf(j, o.f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 &&
             fputc('\n', o.f) != EOF;
        json_decref(j);
    } else {
        ok = cli_points_print(o.f, m, fmt, NULL) == 0;
    }
    int e = errno;       /* the failed write's reason, as cli_out_close gives a later one */
    mql_points_free(m);
    if (!ok)
        cli_error("%s: write error: %s", out && strcmp(out, "-") ? out : "standard output",
                  e ? strerror(e) : "unknown");
    st = cli_out_close(&o, ok);
    return ok ? st : MQL_EIO;
}
