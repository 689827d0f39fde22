/* cli.h: the subcommands and the helpers they share (messages, options, atomic output).
 * Only main.c, cli.c and cmd_*.c include this: they are the only code that prints or exits. */
#ifndef MQLCAL_CLI_H
#define MQLCAL_CLI_H

#include <stdio.h>
#include "mqlcal/common.h"

/* One entry per subcommand, each in src/cmd_NAME.c. Each returns an exit code (mql_status). */
int cmd_inspect(int argc, char **argv);

/* Prints "mqlcal: " + message + newline to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "mqlcal: warning: " + message to stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Matches argv[*i] against "--name VALUE" or "--name=VALUE". On a match sets *val, advances *i past
 * the value and returns 1; returns -1 (after printing a usage error) when the value is missing;
 * 0 when argv[*i] is another option. */
int cli_opt(int argc, char **argv, int *i, const char *name, const char **val);

/* Atomic output: cli_out_open gives a FILE* for path ("-" or NULL = stdout) that writes to a
 * temporary file beside path; cli_out_close flushes, checks for write errors, and renames it over
 * path (or removes it when ok == 0). Returns MQL_OK or MQL_EIO after printing the error. */
typedef struct cli_out {
    FILE *f;
    char *path;
    char *tmp;
} cli_out;
int cli_out_open(cli_out *o, const char *path);
int cli_out_close(cli_out *o, int ok);

#endif
