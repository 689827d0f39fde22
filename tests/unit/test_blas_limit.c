/* test_blas_limit.c: the fit under a memory limit never waits for ever on the BLAS.
 * OpenBLAS takes a 128 MiB work buffer for each thread inside a level-2/3 call at the same time
 * and, when malloc refuses one, retries for ever; under `ulimit -v` a fit spun that way about
 * once in 40 runs (glm.c, mql_blas_parallel). Each case runs in a child process of its own
 * (the address-space limit and OpenBLAS's buffers are per process), under an alarm: a child that
 * spins is killed by SIGALRM and the case fails. The coefficients of the limited fit (its parts
 * one after another on one thread) must equal, bit for bit, those of the same fit without a
 * limit (its parts on two threads), and the fit's beat (mql_blas_beat, which mqlcal's watchdog
 * reads) must have ended with it. Without OpenBLAS, or under a sanitizer (whose shadow memory
 * no address-space limit admits), the cases are skipped. */
#include "testutil.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_matrix.h>

#include "mqlcal/glm.h"

extern int openblas_get_num_threads(void) __attribute__((weak));

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

#define N_ROWS 40000      /* two parts of five 4,096-row chunks each */
#define N_COLS 48         /* over the Gram kernel's 40: each chunk's X'WX is a dsyrk, long enough
                             that the two parts' BLAS calls overlap (and need two buffers) */
#define LIMIT_ROOM ((size_t)400 << 20)   /* the limit: what the process has mapped, plus this */
#define LEFT_FREE ((size_t)48 << 20)      /* after the squeeze: a thread's stack, not 128 MiB */

/* A design of N_ROWS x N_COLS (intercept, three numeric columns) and its 0/1 outcome, the same
 * in every process (lcg_uniform's sequence). */
static gsl_matrix *make_data(double **y_out)
{
    gsl_matrix *x = gsl_matrix_alloc(N_ROWS, N_COLS);
    double *y = malloc(N_ROWS * sizeof *y);
    if (!x || !y)
        return NULL;
    uint64_t s = 12345;
    for (size_t i = 0; i < N_ROWS; i++) {
        double eta = -0.5;
        gsl_matrix_set(x, i, 0, 1.0);
        for (size_t j = 1; j < N_COLS; j++) {
            double v = lcg_uniform(&s) * 4.0 - 2.0;
            gsl_matrix_set(x, i, j, v);
            eta += (j % 2 ? 0.3 : -0.2) * v / (double)(1 + j / 8);
        }
        double u = lcg_uniform(&s);
        y[i] = u < 1.0 / (1.0 + exp(-eta)) ? 1.0 : 0.0;
    }
    *y_out = y;
    return x;
}

/* Fits the data on two threads' parts; writes the coefficients to fd. Returns the status. */
static int fit_to(int fd)
{
    double *y = NULL;
    gsl_matrix *x = make_data(&y);
    if (!x)
        return MQL_ENOMEM;
    mql_glm_data d = {N_ROWS, N_COLS, mql_glm_fill_matrix, x, y, NULL};
    mql_glm_opts o;
    mql_glm_opts_default(&o);
    o.threads = 2;
    mql_glm_result *r = NULL;
    mql_err err;
    int st = mql_glm_fit(&d, &o, &r, &err);
    if (st == MQL_OK && write(fd, r->beta, N_COLS * sizeof *r->beta) !=
                            (ssize_t)(N_COLS * sizeof *r->beta))
        st = MQL_EIO;
    mql_glm_result_free(r);
    gsl_matrix_free(x);
    free(y);
    return st;
}

/* Bytes this process has mapped (VmSize). */
static size_t mapped_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (f) {
        if (fscanf(f, "%lu", &pages) != 1)
            pages = 0;
        fclose(f);
    }
    return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

/* Takes address space in 8 MiB blocks until malloc refuses, then gives LEFT_FREE back. */
static void squeeze(void)
{
    void **blocks = malloc(4096 * sizeof *blocks);
    size_t n = 0;
    while (blocks && n < 4096 && (blocks[n] = malloc((size_t)8 << 20)) != NULL)
        n++;
    for (size_t k = 0; k < LEFT_FREE / ((size_t)8 << 20) && n > 0; k++)
        free(blocks[--n]);
}

enum { CASE_FREE, CASE_LIMITED, CASE_NO_ROOM };

/* The child's work: exit status 0 when the case went as it should. */
static int child(int which, int fd)
{
    alarm(30);
    /* As in mqlcal: OpenBLAS's pool started (its workers take their buffers) long before a fit.
     * A forked child has no pool until setting the thread count starts one. */
    (void)mql_blas_single();
    nanosleep(&(struct timespec){0, 200000000}, NULL);
    if (which == CASE_FREE)
        return fit_to(fd) == MQL_OK ? 0 : 10;
    struct rlimit lim = {mapped_bytes() + LIMIT_ROOM, RLIM_INFINITY};
    if (setrlimit(RLIMIT_AS, &lim) != 0)
        return 11;
    if (which == CASE_NO_ROOM) {
        squeeze();
        /* no room for a buffer: out of memory, at once */
        return mql_blas_parallel() == -1 ? 0 : 12;
    }
    if (mql_blas_parallel() != 0)   /* limited: the BLAS from this thread only */
        return 13;
    squeeze();
    if (fit_to(fd) != MQL_OK)
        return 14;
    return mql_blas_stall_seconds() == 0.0 ? 0 : 15;   /* the fit's beat ends with it */
}

/* Runs case which in a child; returns its exit status (or 100 + signal) and reads what it wrote
 * (up to cap bytes) into out. */
static int run_child(int which, double *out, size_t cap)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        _exit(child(which, p[1]));
    }
    close(p[1]);
    size_t got = 0;
    ssize_t k;
    while (got < cap && (k = read(p[0], (char *)out + got, cap - got)) > 0)
        got += (size_t)k;
    close(p[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        return 100 + WTERMSIG(status);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

static int skip_reason(void)
{
    return UNDER_SANITIZER || !openblas_get_num_threads;
}

/* Under a limit, with no room left for a second BLAS buffer, the two-part fit finishes (its
 * parts on this thread) with the coefficients of the unlimited fit, bit for bit. */
static void test_limited_fit_finishes_same_bits(void **state)
{
    (void)state;
    if (skip_reason())
        skip();
    double free_coef[N_COLS] = {0}, lim_coef[N_COLS] = {0};
    assert_int_equal(run_child(CASE_FREE, free_coef, sizeof free_coef), 0);
    assert_int_equal(run_child(CASE_LIMITED, lim_coef, sizeof lim_coef), 0);
    assert_memory_equal(free_coef, lim_coef, sizeof free_coef);
    assert_true(free_coef[1] != 0.0);   /* a real fit was compared */
}

/* Under a limit with no room for even one buffer: out of memory (-1), never a wait. */
static void test_no_room_is_out_of_memory(void **state)
{
    (void)state;
    if (skip_reason())
        skip();
    double none[1];
    assert_int_equal(run_child(CASE_NO_ROOM, none, 0), 0);
}

/* Without a limit the fits call the BLAS from their threads. */
static void test_unlimited_is_parallel(void **state)
{
    (void)state;
    if (!mql_memory_unlimited())
        skip();      /* a limit set by whoever runs the tests */
    assert_int_equal(mql_blas_parallel(), 1);
}

/* The beat's clock: the seconds since the last beat, 0 when none is on. */
static void test_beat_clock(void **state)
{
    (void)state;
    assert_true(mql_blas_stall_seconds() == 0.0);
    mql_blas_beat(1);
    nanosleep(&(struct timespec){0, 200000000}, NULL);
    double s = mql_blas_stall_seconds();
    assert_true(s >= 0.19 && s < 60.0);
    mql_blas_beat(1);
    assert_true(mql_blas_stall_seconds() < s);
    mql_blas_beat(0);
    assert_true(mql_blas_stall_seconds() == 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limited_fit_finishes_same_bits),
        cmocka_unit_test(test_no_room_is_out_of_memory),
        cmocka_unit_test(test_unlimited_is_parallel),
        cmocka_unit_test(test_beat_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
