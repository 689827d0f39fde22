/* replay.c: the fuzz regression test without clang's fuzzer runtime. Runs every file under
 * tests/fuzz/corpus/NAME/ and tests/fuzz/regress/NAME/ (NAME = csv, rules, model: the seeds and
 * each minimised past crash or mismatch) through the harness of that name, built with the
 * normal compiler, so `make test` guards them on any compiler. A finding aborts (the harnesses'
 * checks); cmocka reports one test per harness with the number of files replayed. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fuzz_common.h"

static size_t replay_dir(const char *dir, int (*fn)(const uint8_t *, size_t))
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        uint8_t *buf = malloc(1 << 20);
        size_t len = buf ? fread(buf, 1, 1 << 20, f) : 0;
        fclose(f);
        if (!buf)
            fail_msg("out of memory");
        fprintf(stderr, "replay %s\n", path);
        fn(buf, len);
        free(buf);
        n++;
    }
    closedir(d);
    return n;
}

static void replay(const char *name, int (*fn)(const uint8_t *, size_t))
{
    char dir[256];
    snprintf(dir, sizeof dir, "tests/fuzz/corpus/%s", name);
    size_t n = replay_dir(dir, fn);
    snprintf(dir, sizeof dir, "tests/fuzz/regress/%s", name);
    n += replay_dir(dir, fn);
    print_message("%s: %zu inputs replayed\n", name, n);
    assert_true(n > 0);
}

static void test_csv(void **state)
{
    (void)state;
    replay("csv", fuzz_csv);
}

static void test_rules(void **state)
{
    (void)state;
    replay("rules", fuzz_rules);
}

static void test_model(void **state)
{
    (void)state;
    replay("model", fuzz_model);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
