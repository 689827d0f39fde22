/* main.c: the command table and dispatcher. `mqlcal help CMD` runs `mqlcal CMD --help`. */
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>

#include <gsl/gsl_errno.h>

#include "cli.h"
#include "mqlcal/glm.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"inspect", cmd_inspect, "profile the columns of a lead export and its outcome"},
    {"fit", cmd_fit, "fit a logistic regression, print its summary, write the model"},
    {"backtest", cmd_backtest, "threshold sweep and recommendation; out-of-time, walk-forward, folds"},
    {"calibrate", cmd_calibrate, "reliability and calibration statistics; re-fit the score map"},
    {"compare", cmd_compare, "compare two models on the same leads: metrics, rules, migration"},
    {"score", cmd_score, "score leads: points, sub-scores, probability, band, MQL flag, reasons"},
    {"rules", cmd_rules, "print a model's points table (readable, rules CSV, JSON, Markdown)"},
    {"plan", cmd_plan, "pipeline math: revenue target and ACV back to MQLs needed"},
    {"review", cmd_review, "the whole quarterly review into one HTML report and CSV tables"},
    {"sql", cmd_sql, "SQL for a warehouse: scoring query and count tables to fit from"},
};

static void usage(FILE *f)
{
    fprintf(f, "mqlcal %s: calibrate B2B lead-scoring models from CRM exports\n\n"
               "usage: mqlcal COMMAND [options] [files]\n\ncommands:\n", MQL_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "  %-10s %s\n", "help", "help CMD shows a command's options (same as CMD --help)");
    fprintf(f, "\nexit codes: 0 ok, 1 data or validation error, 2 usage error, 3 I/O error,\n"
               "            4 fit did not converge, 5 out of memory\n");
}

static const command *find(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return MQL_EUSAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("mqlcal %s\n", MQL_VERSION);
        return MQL_OK;
    }
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
        (strcmp(name, "help") == 0 && argc == 2)) {
        usage(stdout);
        return MQL_OK;
    }
    if (strcmp(name, "help") == 0) {
        const command *c = find(argv[2]);
        if (!c) {
            cli_error("unknown command '%s' (see 'mqlcal help')", argv[2]);
            return MQL_EUSAGE;
        }
        char *args[] = {argv[2], "--help", NULL};
        return c->run(2, args);
    }
    const command *c = find(name);
    if (!c) {
        cli_error("unknown command '%s' (see 'mqlcal help')", name);
        return MQL_EUSAGE;
    }
    /* before any work: an output may not replace one of the command's inputs */
    if (cli_out_not_input(argc - 2, argv + 2))
        return MQL_EUSAGE;
    return c->run(argc - 1, argv + 1);
}

/* OpenBLAS starts a pool of worker threads when it loads (one fewer than the cores), and each
 * spins in sched_yield for about 0.1 s after the start and after every threaded call. mqlcal runs
 * its own threads (the reader's parts, the IRLS passes, the points step) and calls BLAS only on
 * small per-chunk products, single-threaded (glm.c, firth.c), so the pool only takes CPU from
 * ours: 7-12% of a cache-warm `fit`'s perf samples were its worker yielding. The process sets
 * OpenBLAS to one thread and stops the pool before any work (blas_thread_shutdown_ is what
 * OpenBLAS's own fork handler calls; a later threaded call would restart it, and with one thread
 * none is). The stop joins the workers, and a worker whose start-up buffer (128 MiB) malloc
 * refuses retries for ever: so the pool is stopped only when no limit can make malloc refuse it
 * (RLIMIT_AS and RLIMIT_DATA unlimited, and the kernel not in strict overcommit); otherwise it is
 * left to fall asleep on its own. Weak references: with another BLAS nothing is done. */
extern int blas_thread_shutdown_(void) __attribute__((weak));

/* Under a memory limit a fit's BLAS calls run on its own thread, whose buffer is taken before
 * the passes (glm.c, mql_blas_parallel); OpenBLAS can still wait for ever for another one the
 * limit refuses, rarely and for reasons not found (docs/RELIABILITY.md). This thread ends such a
 * run: when the fit's beat has stopped for BLAS_STALL_S seconds (no chunk of 4,096 rows and no
 * solve of mqlcal's takes a fraction of that), it says so, removes unfinished outputs and
 * exits 5. Its stack is small: under a limit every thread's stack counts. */
#define BLAS_STALL_S 120.0

static void *blas_watchdog(void *arg)
{
    (void)arg;
    for (;;) {
        sleep(5);
        double s = mql_blas_stall_seconds();
        if (s > BLAS_STALL_S) {
            cli_error("out of memory: the fit has waited %.0f s for a 128 MiB work buffer of "
                      "OpenBLAS's, which the memory limit (ulimit -v) refuses; raise the limit",
                      s);
            cli_remove_temps();
            fflush(stderr);
            _exit(MQL_ENOMEM);
        }
    }
    return NULL;
}

static void watchdog_start(void)
{
    pthread_attr_t at;
    pthread_t th;
    if (pthread_attr_init(&at) != 0)
        return;
    pthread_attr_setstacksize(&at, (size_t)64 << 10);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    (void)pthread_create(&th, &at, blas_watchdog, NULL);   /* none: no watchdog, as before */
    pthread_attr_destroy(&at);
}

static void blas_single(void)
{
    (void)mql_blas_single();     /* never restored: mqlcal wants one BLAS thread throughout */
    if (!mql_memory_unlimited())
        watchdog_start();
    else if (blas_thread_shutdown_)
        blas_thread_shutdown_();
}

/* The end of every run: standard output must really have been written (`--help >/dev/full`
 * is an error, exit 3), then the process ends with _exit, skipping the shared libraries'
 * destructors: OpenBLAS's joins its worker threads, and a worker still retrying an allocation
 * under a memory limit would keep the process from ever exiting. Nothing of ours needs an
 * atexit handler (outputs are closed by the commands, temporary files removed). */
int main(int argc, char **argv)
{
    blas_single();
    /* GSL's default handler aborts; every GSL status is checked by the caller instead (the
     * library also installs this itself: mql_gsl_quiet). */
    gsl_set_error_handler_off();
    cli_signals_init();
    cli_phase(NULL);
    int rc = dispatch(argc, argv);
    cli_phase("output");
    errno = 0;
    if ((fflush(stdout) != 0 || ferror(stdout)) && rc == MQL_OK) {
        cli_error("cannot write to standard output: %s", errno ? strerror(errno) : "write error");
        rc = MQL_EIO;
    }
    fflush(stderr);
    _exit(rc);
}
