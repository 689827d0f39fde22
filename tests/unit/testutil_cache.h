/* testutil_cache.h: the cache directory of the result caches' unit tests (fit, screen, points):
 * made by the group's setup, emptied by a test that needs it empty, removed by the teardown. */
#ifndef MQLCAL_TESTUTIL_CACHE_H
#define MQLCAL_TESTUTIL_CACHE_H

#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];   /* the group's cache directory */

/* Makes dir as /tmp/mqlcal-TAG-XXXXXX; 0 or -1. */
static inline int cache_dir_setup(const char *tag)
{
    snprintf(dir, sizeof dir, "/tmp/mqlcal-%s-XXXXXX", tag);
    return mkdtemp(dir) ? 0 : -1;
}

/* Removes every entry of dir. */
static inline void empty_dir(void)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char p[512];
    while (d && (de = readdir(d)))
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            unlink(p);
        }
    if (d)
        closedir(d);
}

/* cmocka group teardown: dir emptied and removed. */
static inline int cache_dir_teardown(void **state)
{
    (void)state;
    empty_dir();
    rmdir(dir);
    return 0;
}

/* Entries of dir whose name has suffix (".mqlf", ".mqls", ".mqlp"), and the path of the last one
 * seen in last (may be NULL). */
static inline size_t cache_entries(const char *suffix, char *last, size_t cap)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;
    while (d && (de = readdir(d)))
        if (strstr(de->d_name, suffix)) {
            n++;
            if (last)
                snprintf(last, cap, "%s/%s", dir, de->d_name);
        }
    if (d)
        closedir(d);
    return n;
}

#endif
