/* out.c: output files that never destroy: temporary file beside the target, fsync, rename;
 * special files written in place; symlinks followed; temporary files removed on signals and
 * recognised after a SIGKILL; the atomic directory exchange `review` uses; an output that
 * would replace an input refused. */
#define _GNU_SOURCE             /* renameat2, syscall */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- temporary paths removed on signals ----
 * The handler may only use async-signal-safe calls: the table is fixed, a slot is filled before
 * it is marked used, and directories are emptied with open / getdents64 / unlinkat. */

enum { MAX_TMP = 8, TMP_PATH_MAX = 4096 };
static struct {
    char path[TMP_PATH_MAX];
    int is_dir;
    volatile sig_atomic_t used;
} tmp_slots[MAX_TMP];

int cli_tmp_register(const char *path, int is_dir)
{
    if (strlen(path) >= TMP_PATH_MAX)
        return -1;
    for (int i = 0; i < MAX_TMP; i++)
        if (!tmp_slots[i].used) {
            memcpy(tmp_slots[i].path, path, strlen(path) + 1);
            tmp_slots[i].is_dir = is_dir;
            tmp_slots[i].used = 1;
            return 0;
        }
    return -1;
}

void cli_tmp_forget(const char *path)
{
    for (int i = 0; i < MAX_TMP; i++)
        if (tmp_slots[i].used && strcmp(tmp_slots[i].path, path) == 0)
            tmp_slots[i].used = 0;
}

struct linux_dirent64 {
    unsigned long long d_ino;
    long long d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* Removes the files of directory fd (and of its subdirectories, depth-limited), async-signal-
 * safely. */
static void empty_dir_fd(int fd, int depth)
{
    char buf[4096] __attribute__((aligned(8)));
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (n <= 0)
            return;
        for (long off = 0; off < n;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            off += d->d_reclen;
            const char *nm = d->d_name;
            if (nm[0] == '.' && (nm[1] == '\0' || (nm[1] == '.' && nm[2] == '\0')))
                continue;
            if (d->d_type == DT_DIR && depth < 4) {
                int sub = openat(fd, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
                if (sub >= 0) {
                    empty_dir_fd(sub, depth + 1);
                    close(sub);
                }
                unlinkat(fd, nm, AT_REMOVEDIR);
            } else {
                unlinkat(fd, nm, 0);
            }
        }
    }
}

void cli_remove_temps(void)
{
    for (int i = 0; i < MAX_TMP; i++) {
        if (!tmp_slots[i].used)
            continue;
        if (tmp_slots[i].is_dir) {
            int fd = open(tmp_slots[i].path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
            if (fd >= 0) {
                empty_dir_fd(fd, 0);
                close(fd);
            }
            rmdir(tmp_slots[i].path);
        } else {
            unlink(tmp_slots[i].path);
        }
        tmp_slots[i].used = 0;
    }
}

static void on_signal(int sig)
{
    int saved = errno;
    cli_remove_temps();
    errno = saved;
    signal(sig, SIG_DFL);
    raise(sig);
}

void cli_signals_init(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    for (size_t k = 0; k < sizeof sigs / sizeof sigs[0]; k++) {
        struct sigaction sa, old;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        for (size_t j = 0; j < sizeof sigs / sizeof sigs[0]; j++)
            sigaddset(&sa.sa_mask, sigs[j]);
        /* a signal the shell ignores (nohup, a background job's SIGINT) stays ignored */
        if (sigaction(sigs[k], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        sigaction(sigs[k], &sa, NULL);
    }
}

/* ---- names ---- */

#define TMP_MARK ".mqlcal-tmp-"

/* Warns about PATH.mqlcal-tmp-PID-* left by a process that no longer runs. */
static void stale_check(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? mql_strndup(path, slash == path ? 1 : (size_t)(slash - path))
                      : mql_strdup(".");
    const char *base = slash ? slash + 1 : path;
    size_t bn = strlen(base), mn = strlen(TMP_MARK);
    DIR *d = dir ? opendir(dir) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strncmp(e->d_name, base, bn) != 0 || strncmp(e->d_name + bn, TMP_MARK, mn) != 0)
            continue;
        char *end;
        long pid = strtol(e->d_name + bn + mn, &end, 10);
        if (end == e->d_name + bn + mn || *end != '-' || pid <= 0 || pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;               /* still running (or not ours to ask): not stale */
        cli_warn("%s%s%s is left over from an interrupted mqlcal run (process %ld is gone); "
                 "it is not used, remove it", slash ? dir : "", slash && strcmp(dir, "/") ? "/" : "",
                 e->d_name, pid);
    }
    if (d)
        closedir(d);
    free(dir);
}

char *cli_tmp_name(const char *path)
{
    size_t n = strlen(path) + sizeof TMP_MARK + 32;
    char *t = malloc(n);
    if (!t)
        return NULL;
    stale_check(path);
    snprintf(t, n, "%s" TMP_MARK "%ld-XXXXXX", path, (long)getpid());
    return t;
}

/* path with every symbolic link along the final component followed (a dangling link gives the
 * path it points to); malloc'd, NULL when out of memory or after 40 links (ELOOP). */
static char *follow_links(const char *path)
{
    char *p = mql_strdup(path);
    for (int hops = 0; p; hops++) {
        struct stat sb;
        if (lstat(p, &sb) != 0 || !S_ISLNK(sb.st_mode))
            return p;
        if (hops == 40) {
            free(p);
            errno = ELOOP;
            return NULL;
        }
        char buf[4096];
        ssize_t n = readlink(p, buf, sizeof buf - 1);
        if (n < 0)
            return p;
        buf[n] = '\0';
        char *next;
        const char *slash = strrchr(p, '/');
        if (buf[0] == '/' || !slash) {
            next = mql_strdup(buf);
        } else {
            size_t dn = (size_t)(slash - p) + 1;
            next = malloc(dn + (size_t)n + 1);
            if (next) {
                memcpy(next, p, dn);
                memcpy(next + dn, buf, (size_t)n + 1);
            }
        }
        free(p);
        p = next;
    }
    return NULL;
}

/* ---- sync ---- */

int cli_fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc == 0 || errno == EINVAL ? 0 : -1;
}

int cli_fsync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? mql_strndup(path, slash == path ? 1 : (size_t)(slash - path))
                      : mql_strdup(".");
    if (!dir) {
        errno = ENOMEM;
        return -1;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    free(dir);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc == 0 || errno == EINVAL ? 0 : -1;
}

int cli_dir_exchange(const char *tmp, const char *dir)
{
#ifdef RENAME_EXCHANGE
    return renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE);
#else
    (void)tmp;
    (void)dir;
    errno = ENOSYS;
    return -1;
#endif
}

/* ---- an output that is an input ----
 * `score m.json leads.csv -o leads.csv` would replace the export by its scored copy, and
 * `fit leads.csv -o leads.csv` by a model JSON: the rename that makes an output atomic destroys
 * the input just as surely as a plain overwrite. The command line is checked before any work. */

/* Whether arg names the file sb describes (the same device and inode, so "./a.csv", a hard link
 * and a symbolic link to a.csv are a.csv), or, as "--opt=FILE", its value does; "-" names
 * standard input (`score m.json - -o a.csv <a.csv`). */
static int names_file(const char *arg, const struct stat *sb)
{
    struct stat ab;
    int ok = strcmp(arg, "-") == 0 ? fstat(STDIN_FILENO, &ab) : stat(arg, &ab);
    if (ok == 0 && ab.st_dev == sb->st_dev && ab.st_ino == sb->st_ino)
        return 1;
    const char *eq = arg[0] == '-' ? strchr(arg, '=') : NULL;
    return eq && stat(eq + 1, &ab) == 0 && ab.st_dev == sb->st_dev && ab.st_ino == sb->st_ino;
}

/* The value of -o / --output at argv[k] ("-o FILE", "-o=FILE", "--output=FILE"), NULL when
 * argv[k] is no output option; *used: how many arguments it takes. */
static const char *output_value(int argc, char **argv, int k, int *used)
{
    static const char *const names[] = {"-o", "--output"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        size_t n = strlen(names[i]);
        if (strncmp(argv[k], names[i], n) != 0)
            continue;
        if (argv[k][n] == '=') {
            *used = 1;
            return argv[k] + n + 1;
        }
        if (argv[k][n] == '\0' && k + 1 < argc) {
            *used = 2;
            return argv[k + 1];
        }
    }
    return NULL;
}

int cli_out_not_input(int argc, char **argv)
{
    for (int k = 0; k < argc; k++) {
        int used;
        const char *out = output_value(argc, argv, k, &used);
        struct stat sb;
        if (!out || strcmp(out, "-") == 0 || stat(out, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        for (int j = 0; j < argc; j++) {
            if (j >= k && j < k + used)
                continue;
            if (names_file(argv[j], &sb)) {
                cli_error("-o %s: that file is also an input of this command (%s%s%s): write "
                          "the output to another file (it would replace the input)", out,
                          strcmp(argv[j], "-") ? "'" : "", strcmp(argv[j], "-") ? argv[j]
                          : "standard input", strcmp(argv[j], "-") ? "'" : "");
                return MQL_EUSAGE;
            }
        }
    }
    return MQL_OK;
}

/* ---- output files ---- */

static void out_clear(cli_out *o)
{
    free(o->path);
    free(o->target);
    free(o->tmp);
    o->path = o->target = o->tmp = NULL;
    o->f = NULL;
}

int cli_out_open(cli_out *o, const char *path)
{
    memset(o, 0, sizeof *o);
    if (!path || strcmp(path, "-") == 0) {
        o->f = stdout;
        return MQL_OK;
    }
    errno = 0;
    if (!(o->path = mql_strdup(path)) || !(o->target = follow_links(path))) {
        int loop = errno == ELOOP;
        out_clear(o);
        if (loop) {
            cli_error("%s: cannot write: too many levels of symbolic links", path);
            return MQL_EIO;
        }
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    struct stat sb;
    int exists = stat(o->target, &sb) == 0;
    if (exists && S_ISDIR(sb.st_mode)) {
        cli_error("%s: cannot write: is a directory", path);
        out_clear(o);
        return MQL_EIO;
    }
    if (exists && !S_ISREG(sb.st_mode)) {
        /* a device, FIFO or socket: written in place, never replaced by a regular file */
        int fd = open(o->target, O_WRONLY | O_NOCTTY);
        if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
            cli_error("%s: cannot open for writing: %s", path, strerror(errno));
            if (fd >= 0)
                close(fd);
            out_clear(o);
            return MQL_EIO;
        }
        return MQL_OK;
    }
    if (!(o->tmp = cli_tmp_name(o->target))) {
        out_clear(o);
        cli_error("out of memory");
        return MQL_ENOMEM;
    }
    int fd = mkstemp(o->tmp);
    if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
        cli_error("%s: cannot create: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(o->tmp);
        }
        out_clear(o);
        return MQL_EIO;
    }
    cli_tmp_register(o->tmp, 0);
    /* mkstemp creates the file 0600; the output gets the mode of the file it replaces, or what
     * any new file gets (0666 less the umask), as a plain fopen would give it. */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, exists ? (sb.st_mode & 07777) : (0666 & ~mask));
    return MQL_OK;
}

int cli_out_close(cli_out *o, int ok)
{
    int st = MQL_OK;
    if (!o->f)
        return MQL_OK;
    if (!o->path) {           /* stdout: make sure it was really written */
        errno = 0;
        if (fflush(stdout) != 0 || ferror(stdout)) {
            cli_error("cannot write to standard output: %s",
                      errno ? strerror(errno) : "write error");
            st = MQL_EIO;
        }
        o->f = NULL;
        return st;
    }
    errno = 0;
    int bad = fflush(o->f) != 0 || ferror(o->f);
    int err_no = errno;
    /* the bytes on disk before the rename that publishes them */
    if (!bad && o->tmp && ok && fsync(fileno(o->f)) != 0 && errno != EINVAL) {
        bad = 1;
        err_no = errno;
    }
    if (fclose(o->f) != 0 && !bad) {
        bad = 1;
        err_no = errno;
    }
    o->f = NULL;
    if (bad && ok) {
        cli_error("%s: write error: %s", o->path, err_no ? strerror(err_no) : "unknown");
        st = MQL_EIO;
    }
    if (o->tmp) {
        if (ok && !bad && rename(o->tmp, o->target) != 0) {
            cli_error("%s: cannot replace: %s", o->path, strerror(errno));
            st = MQL_EIO;
        }
        if (!ok || st)
            unlink(o->tmp);
        else if (cli_fsync_parent(o->target) != 0)
            cli_warn("%s: cannot sync its directory: %s", o->path, strerror(errno));
        cli_tmp_forget(o->tmp);
    }
    out_clear(o);
    return st;
}

int cli_out_finish(cli_out *o, int st)
{
    if (!o->f)
        return st;
    int cst = cli_out_close(o, st == MQL_OK);
    return st ? st : cst;
}
