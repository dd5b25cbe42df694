/*
 * test_proc.c — the process table against real processes: /proc scan,
 * proc-connector events, identity by (pid, start time), a binary replaced
 * after start, and the cached SHA-256.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc/proctab.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

static void scan_finds_self(void **state)
{
    (void)state;
    proctab *t = proctab_new(NULL);
    assert_non_null(t);
    assert_true(proctab_scan(t) > 0);
    const ward_proc *me = proctab_lookup(t, (uint32_t)getpid());
    assert_non_null(me);
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    assert_true(n > 0);
    exe[n] = '\0';
    assert_string_equal(me->exe, exe);
    struct stat st;
    assert_int_equal(stat(exe, &st), 0);
    assert_int_equal(me->id.ino, st.st_ino);
    assert_int_equal(me->uid, geteuid());
    assert_non_null(strstr(me->cmdline, "test_proc"));
    assert_int_equal(me->ppid, (uint32_t)getppid());
    assert_true(me->start_time > 0);
    assert_true(proctab_verify(t, me)); /* the file at its path is the one it runs */
    assert_true(proctab_verify(t, me)); /* and again */
    proctab_free(t);
}

/* Copies a file, keeping it executable. */
static void copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    assert_true(in >= 0 && out >= 0);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof(buf))) > 0)
        assert_int_equal(write(out, buf, (size_t)n), n);
    close(in);
    close(out);
}

static pid_t spawn_sleep(const char *path)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl(path, "sleep", "30", (char *)NULL);
        _exit(127);
    }
    /* Wait until the child has exec'd (its exe is no longer ours). */
    char link[64], target[4096];
    snprintf(link, sizeof(link), "/proc/%d/exe", pid);
    for (int i = 0; i < 500; i++) {
        ssize_t n = readlink(link, target, sizeof(target) - 1);
        if (n > 0) {
            target[n] = '\0';
            if (strstr(target, "sleep"))
                return pid;
        }
        usleep(10000);
    }
    fail_msg("child did not exec %s", path);
    return -1;
}

static void replaced_binary_keeps_identity(void **state)
{
    (void)state;
    char dir[] = "/tmp/ward-proc-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char bin[256];
    snprintf(bin, sizeof(bin), "%s/sleep", dir);
    copy_file("/bin/sleep", bin);
    struct stat before;
    assert_int_equal(stat(bin, &before), 0);
    pid_t pid = spawn_sleep(bin);

    /* Replace the file on disk the way package managers do: rename over it. */
    char tmp[300];
    snprintf(tmp, sizeof(tmp), "%s/sleep.new", dir);
    copy_file("/bin/true", tmp);
    assert_int_equal(rename(tmp, bin), 0);

    proctab *t = proctab_new(NULL);
    const ward_proc *p = proctab_lookup(t, (uint32_t)pid);
    assert_non_null(p);
    assert_int_equal(p->id.ino, before.st_ino); /* the inode it started from */
    /* The kernel's text, kept as is: never stripped into the path's name. */
    char deleted[300];
    snprintf(deleted, sizeof(deleted), "%s (deleted)", bin);
    assert_string_equal(p->exe, deleted);
    /* The file at the path now is another one: the process is not its program. */
    assert_false(proctab_verify(t, p));

    /* The digest is of what runs, not of what is on disk now. */
    ward_sha256 running, again;
    assert_int_equal(proctab_sha256(t, p, &running), 0);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "sha256sum /bin/sleep");
    FILE *f = popen(cmd, "r");
    char hex[65] = {0};
    assert_int_equal(fscanf(f, "%64s", hex), 1);
    pclose(f);
    char got[65];
    for (int i = 0; i < 32; i++)
        snprintf(got + 2 * i, 3, "%02x", running.b[i]);
    assert_string_equal(got, hex);
    assert_int_equal(proctab_sha256(t, p, &again), 0);
    assert_int_equal(proctab_hashes_computed(t), 1); /* cached */

    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    assert_null(proctab_lookup(t, (uint32_t)pid)); /* gone: not served stale */
    proctab_free(t);
    unlink(bin);
    rmdir(dir);
}

/* A file whose name ends in " (deleted)" is that file, never the one at
 * the name without the suffix. */
static void deleted_suffix_is_part_of_the_name(void **state)
{
    (void)state;
    char dir[] = "/tmp/ward-proc-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char bin[256], named[300];
    snprintf(bin, sizeof(bin), "%s/sleep", dir);
    snprintf(named, sizeof(named), "%s (deleted)", bin);
    copy_file("/bin/sleep", bin);
    copy_file("/bin/sleep", named);
    pid_t pid = spawn_sleep(named);
    proctab *t = proctab_new(NULL);
    const ward_proc *p = proctab_lookup(t, (uint32_t)pid);
    assert_non_null(p);
    assert_string_equal(p->exe, named);
    assert_true(proctab_verify(t, p)); /* the file at its own name */
    ward_proc claim = *p;
    claim.exe = bin; /* the name without the suffix is another file */
    assert_false(proctab_verify(t, &claim));
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    proctab_free(t);
    unlink(bin);
    unlink(named);
    rmdir(dir);
}

/* A file verified at its path, then another file moved over that path: the
 * process no longer runs the file there, though it was verified before. */
static void replaced_after_verify(void **state)
{
    (void)state;
    char dir[] = "/tmp/ward-proc-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char bin[256], other[300];
    snprintf(bin, sizeof(bin), "%s/sleep", dir);
    snprintf(other, sizeof(other), "%s.new", bin);
    copy_file("/bin/sleep", bin);
    pid_t pid = spawn_sleep(bin);
    proctab *t = proctab_new(NULL);
    const ward_proc *p = proctab_lookup(t, (uint32_t)pid);
    assert_non_null(p);
    assert_true(proctab_verify(t, p));
    copy_file("/bin/sleep", other);
    assert_int_equal(rename(other, bin), 0);
    assert_false(proctab_verify(t, p)); /* the table's entry, read before */
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    proctab_free(t);
    unlink(bin);
    rmdir(dir);
}

static const ward_proc *exited;
static uint32_t exited_pid;
static uint64_t exited_start;

static void note_exit(const ward_proc *gone, void *ctx)
{
    /* Only the awaited process: the machine's other exits come in the same
     * reads and must not overwrite it. */
    const uint32_t *awaited = ctx;
    if (awaited && gone->pid != *awaited)
        return;
    exited = gone;
    exited_pid = gone->pid;
    exited_start = gone->start_time;
}

/* Exit events lost (the connector's buffer overran): the sweep finds the
 * processes that are gone and tells of each as its exit event would. */
static void sweep_reports_lost_exits(void **state)
{
    (void)state;
    proctab *t = proctab_new(NULL);
    assert_non_null(t);
    proctab_scan(t);
    pid_t pid = spawn_sleep("/bin/sleep");
    const ward_proc *p = proctab_refresh(t, (uint32_t)pid);
    assert_non_null(p);
    uint64_t start = p->start_time;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    exited_pid = 0;
    uint32_t awaited = (uint32_t)pid;
    assert_true(proctab_sweep(t, note_exit, &awaited) >= 1);
    assert_int_equal(exited_pid, (uint32_t)pid);
    assert_int_equal(exited_start, start);
    assert_null(proctab_peek(t, (uint32_t)pid));
    assert_non_null(proctab_peek(t, (uint32_t)getpid())); /* the living stay */
    proctab_free(t);
}

static void connector_events(void **state)
{
    (void)state;
    int fd = procmon_open();
    if (fd < 0) {
        /* Only in the initial network namespace and with CAP_NET_ADMIN. */
        print_message("proc connector unavailable (%s): skipped\n", strerror(-fd));
        skip();
    }
    proctab *t = proctab_new(NULL);
    proctab_scan(t);
    pid_t pid = spawn_sleep("/bin/sleep");
    /* Drain until the exec is in the table. */
    const ward_proc *p = NULL;
    /* The fork event comes first (the parent's program): wait for the exec. */
    for (int i = 0; i < 500 && !((p = proctab_peek(t, (uint32_t)pid)) && strstr(p->exe, "sleep"));
         i++) {
        struct pollfd pfd = {fd, POLLIN, 0};
        poll(&pfd, 1, 20);
        procmon_read(fd, t, NULL, note_exit, NULL);
    }
    assert_non_null(p);
    assert_non_null(strstr(p->exe, "sleep"));
    uint64_t start = p->start_time;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    exited_pid = 0;
    uint32_t awaited = (uint32_t)pid;
    for (int i = 0; i < 500 && exited_pid != awaited; i++) {
        struct pollfd pfd = {fd, POLLIN, 0};
        poll(&pfd, 1, 20);
        procmon_read(fd, t, NULL, note_exit, &awaited);
    }
    assert_int_equal(exited_pid, (uint32_t)pid);
    assert_int_equal(exited_start, start); /* what "until the program exits" needs */
    assert_null(proctab_peek(t, (uint32_t)pid));
    close(fd);
    proctab_free(t);
}

static void pid_reuse_is_not_the_same_process(void **state)
{
    (void)state;
    /* A fake /proc tree lets us play a pid's reuse deterministically. */
    char root[] = "/tmp/ward-fakeproc-XXXXXX";
    assert_non_null(mkdtemp(root));
    char d[300], path[400];
    snprintf(d, sizeof(d), "%s/4242", root);
    assert_int_equal(mkdir(d, 0755), 0);
    snprintf(path, sizeof(path), "%s/exe", d);
    assert_int_equal(symlink("/bin/sleep", path), 0);
    snprintf(path, sizeof(path), "%s/stat", d);
    FILE *f = fopen(path, "w");
    fprintf(f, "4242 (a (weird) name) S 1 4242 4242 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 111 0 0\n");
    fclose(f);
    proctab *t = proctab_new(root);
    const ward_proc *p = proctab_lookup(t, 4242);
    assert_non_null(p);
    assert_int_equal(p->start_time, 111);
    assert_int_equal(p->ppid, 1);
    assert_null(p->cmdline);
    /* The pid is reused by a process running another program. */
    unlink(path);
    f = fopen(path, "w");
    fprintf(f, "4242 (x) S 1 4242 4242 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 999 0 0\n");
    fclose(f);
    snprintf(path, sizeof(path), "%s/exe", d);
    unlink(path);
    assert_int_equal(symlink("/bin/true", path), 0);
    /* While exec/exit events keep the table current, the cached entry is
     * trusted without a /proc read (an exit event would have removed it). */
    proctab_set_events(t, true);
    assert_int_equal(proctab_lookup(t, 4242)->start_time, 111);
    proctab_set_events(t, false);
    p = proctab_lookup(t, 4242);
    assert_non_null(p);
    assert_int_equal(p->start_time, 999);
    assert_string_equal(p->exe, "/bin/true");
    proctab_free(t);
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
}

/* fake_proc ROOT PID EXE PPID START: one process of a fake /proc tree. */
static void fake_proc(const char *root, int pid, const char *exe, int ppid, int start)
{
    char d[300], path[400];
    snprintf(d, sizeof(d), "%s/%d", root, pid);
    mkdir(d, 0755);
    snprintf(path, sizeof(path), "%s/exe", d);
    unlink(path);
    assert_int_equal(symlink(exe, path), 0);
    snprintf(path, sizeof(path), "%s/stat", d);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%d (p) S %d %d %d 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 %d 0 0\n", pid, ppid, pid, pid,
            start);
    fclose(f);
}

/* An exec read after its process has exited (killed and reaped between
 * the events and their reading): the exec tells of the exit, since the
 * exit event that follows finds no entry (CI once waited 10 s for it). */
static void exec_after_the_exit_tells_of_it(void **state)
{
    (void)state;
    char root[] = "/tmp/ward-fakeproc-XXXXXX";
    assert_non_null(mkdtemp(root));
    fake_proc(root, 700, "/bin/sleep", 1, 70);
    proctab *t = proctab_new(root);
    assert_non_null(proctab_lookup(t, 700)); /* the fork event read it */
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf %s/700", root);
    assert_int_equal(system(cmd), 0);
    ward_proc gone;
    assert_true(proctab_exec(t, 700, &gone));
    assert_int_equal(gone.pid, 700);
    assert_int_equal(gone.start_time, 70);
    proctab_proc_free(&gone);
    assert_null(proctab_peek(t, 700));
    ward_proc none;
    assert_false(proctab_exec(t, 700, &none)); /* unknown and gone: nothing to tell */
    /* The pid reused before the exec was read: the one known is told of;
     * the new one waits for its own events (the old one's exit event,
     * next, would remove it). */
    fake_proc(root, 710, "/bin/sleep", 1, 71);
    assert_non_null(proctab_lookup(t, 710));
    fake_proc(root, 710, "/bin/true", 1, 72);
    assert_true(proctab_exec(t, 710, &gone));
    assert_int_equal(gone.start_time, 71);
    proctab_proc_free(&gone);
    assert_null(proctab_peek(t, 710));
    assert_false(proctab_exit(t, 710, &gone)); /* the old one's exit: nothing more */
    const ward_proc *now = proctab_lookup(t, 710);
    assert_non_null(now);
    assert_int_equal(now->start_time, 72);
    /* Alive but unreadable (its program does not stat): not an exit. */
    fake_proc(root, 720, "/bin/sleep", 1, 73);
    assert_non_null(proctab_lookup(t, 720));
    snprintf(cmd, sizeof(cmd), "ln -sfn /nonexistent/prog %s/720/exe", root);
    assert_int_equal(system(cmd), 0);
    assert_false(proctab_exec(t, 720, &none));
    assert_non_null(proctab_peek(t, 720));
    proctab_free(t);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
}

/* The ancestor chain: read through /proc, nearest first; kept across an
 * exec and past the parent's exit (an orphan is not init's program). */
static void ancestors_follow_the_parents(void **state)
{
    (void)state;
    char root[] = "/tmp/ward-fakeproc-XXXXXX";
    assert_non_null(mkdtemp(root));
    fake_proc(root, 100, "/bin/true", 1, 10); /* pid 1 is not in the tree: the walk ends */
    fake_proc(root, 200, "/bin/sh", 100, 20);
    fake_proc(root, 300, "/bin/sleep", 200, 30);
    proctab *t = proctab_new(root);
    const ward_proc *p = proctab_lookup(t, 300);
    assert_non_null(p);
    assert_int_equal(p->n_ancestors, 2);
    assert_string_equal(p->ancestors[0], "/bin/sh");
    assert_string_equal(p->ancestors[1], "/bin/true");
    /* The parent exits; the child is re-parented and execs. */
    char path[400];
    snprintf(path, sizeof(path), "rm -rf %s/200", root);
    assert_int_equal(system(path), 0);
    fake_proc(root, 300, "/bin/true", 1, 30);
    assert_false(proctab_exec(t, 300, NULL));
    p = proctab_peek(t, 300);
    assert_non_null(p);
    assert_string_equal(p->exe, "/bin/true");
    assert_int_equal(p->n_ancestors, 2);
    assert_string_equal(p->ancestors[0], "/bin/sh");
    /* A new process whose parent is known to the table takes its chain. */
    fake_proc(root, 400, "/bin/sleep", 300, 40);
    p = proctab_lookup(t, 400);
    assert_non_null(p);
    assert_int_equal(p->n_ancestors, 3);
    assert_string_equal(p->ancestors[0], "/bin/true");
    assert_string_equal(p->ancestors[1], "/bin/sh");
    assert_string_equal(p->ancestors[2], "/bin/true");
    /* A parent whose pid was reused (its exit not yet told to the table)
     * is read afresh, even while events keep the table current. */
    fake_proc(root, 400, "/bin/sh", 100, 70);
    proctab_set_events(t, true);
    fake_proc(root, 610, "/bin/sleep", 400, 75);
    p = proctab_lookup(t, 610);
    assert_non_null(p);
    assert_int_equal(p->n_ancestors, 2); /* 400 (read afresh: /bin/sh), then 100 */
    assert_string_equal(p->ancestors[0], "/bin/sh");
    assert_string_equal(p->ancestors[1], "/bin/true");
    proctab_free(t);
    snprintf(path, sizeof(path), "rm -rf %s", root);
    assert_int_equal(system(path), 0);
}

/* A fake /proc with exe running as pid 500 under /bin/sh (pid 100), in a
 * table fed by events; exe's stat in *st. */
static proctab *prog_table(const char *root, const char *exe, struct stat *st)
{
    assert_int_equal(stat(exe, st), 0);
    fake_proc(root, 100, "/bin/sh", 1, 10);
    fake_proc(root, 500, exe, 100, 50);
    proctab *t = proctab_new(root);
    proctab_set_events(t, true);
    return t;
}

/* What the tracepoints tell of an exec of the file st as pid 500 (parent
 * 100), run through the link (mount 1, directory 2, name hash 3). */
static proctab_exec_facts prog_facts(const struct stat *st, const char *args, size_t args_len)
{
    return (proctab_exec_facts){
        .pid = 500,
        .ppid = 100,
        .start_time = 50,
        .parent_start = 10,
        .id = {st->st_dev, st->st_ino},
        .mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec,
        .ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec,
        .mnt_id = 1,
        .dir_ino = 2,
        .name_hash = 3,
        .comm = "prog",
        .args = args,
        .args_len = args_len,
    };
}
/* An exec told in full by its event (the tracepoints): nothing is read but
 * the executable's path, once per file and link; the chain comes from the
 * table, checked against the parent's start time the event gave. */
static void exec_from_its_facts(void **state)
{
    (void)state;
    char root[] = "/tmp/ward-fakeproc-XXXXXX";
    assert_non_null(mkdtemp(root));
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    assert_true(n > 0);
    exe[n] = '\0';
    struct stat st;
    proctab *t = prog_table(root, exe, &st);
    assert_non_null(proctab_lookup(t, 100));
    static const char args[] = "prog\0-x\0two words\0";
    proctab_exec_facts f = prog_facts(&st, args, sizeof(args) - 1);
    f.uid = 7;
    f.gid = 8;
    proctab_exec_seen(t, &f);
    const ward_proc *p = proctab_peek(t, 500);
    assert_non_null(p);
    assert_string_equal(p->exe, exe);
    assert_string_equal(p->cmdline, "prog -x two words");
    assert_string_equal(p->comm, "prog");
    assert_int_equal(p->uid, 7);
    assert_int_equal(p->n_ancestors, 1);
    assert_string_equal(p->ancestors[0], "/bin/sh");
    /* Another process of the same file, gone before it could be read: the
     * path is remembered. */
    f.pid = 600;
    f.start_time = 60;
    proctab_exec_seen(t, &f);
    assert_non_null((p = proctab_peek(t, 600)));
    assert_string_equal(p->exe, exe);
    /* Through another mount the file has a path of its own: unknown with
     * /proc gone, and the process is not recorded. */
    f.pid = 650;
    f.mnt_id = 2;
    proctab_exec_seen(t, &f);
    assert_null(proctab_peek(t, 650));
    f.mnt_id = 1;
    /* Another link of the file (a hard link) has a path of its own too. */
    f.pid = 700;
    f.name_hash = 4;
    proctab_exec_seen(t, &f);
    assert_null(proctab_peek(t, 700));
    f.name_hash = 3;
    /* The parent's pid now runs another process: not taken for the parent. */
    fake_proc(root, 100, "/bin/true", 1, 11);
    f.pid = 800;
    f.parent_start = 11;
    proctab_exec_seen(t, &f);
    assert_non_null((p = proctab_peek(t, 800)));
    assert_int_equal(p->n_ancestors, 1);
    assert_string_equal(p->ancestors[0], "/bin/true");
    proctab_free(t);
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A look at a path (does it name the file?) serves the events that
 * happened before it, and only those: an event stamped after it, an event
 * read after proctab_forget_file, a lookup or a refresh looks again. The
 * file is moved away and back to tell a look from none. */
static void looks_serve_earlier_events(void **state)
{
    (void)state;
    char root[] = "/tmp/ward-fakeproc-XXXXXX", dir[] = "/tmp/ward-lookexe-XXXXXX";
    assert_non_null(mkdtemp(root));
    assert_non_null(mkdtemp(dir));
    char exe[400], moved[400], cmd[400];
    snprintf(exe, sizeof(exe), "%s/prog", dir);
    snprintf(moved, sizeof(moved), "%s/moved", dir);
    copy_file("/bin/true", exe);
    struct stat st;
    proctab *t = prog_table(root, exe, &st);
    static const char args[] = "prog\0-x\0", other[] = "prog\0-y\0";
    /* The events read together all happened by then (older than a look by
     * more than the clocks may differ: proctab.c, CLOCK_SLACK_NS). */
    uint64_t early = now_ns() - 2000000;
    proctab_exec_facts f = prog_facts(&st, args, sizeof(args) - 1);
    f.time_ns = early;
    proctab_exec_seen(t, &f); /* looks, after early */
    f.pid = 600;              /* gone before it was read: the remembered path serves */
    f.start_time = 60;
    proctab_exec_seen(t, &f);
    const ward_proc *a = proctab_peek(t, 500), *b = proctab_peek(t, 600);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(b->exe, exe);
    assert_ptr_equal(a->exe, b->exe);
    assert_string_equal(b->cmdline, "prog -x");
    assert_ptr_equal(a->cmdline, b->cmdline);
    f.pid = 650;
    f.start_time = 65;
    f.args = other;
    proctab_exec_seen(t, &f);
    assert_non_null((b = proctab_peek(t, 650)));
    assert_string_equal(b->cmdline, "prog -y");
    f.args = args;

    /* Moved away after the look: events before the look are served by it
     * (it saw the file there after they happened)... */
    assert_int_equal(rename(exe, moved), 0);
    f.pid = 700;
    f.start_time = 70;
    proctab_exec_seen(t, &f);
    assert_non_null((b = proctab_peek(t, 700)));
    assert_string_equal(b->exe, exe);
    proctab_fork(t, 500, 901, 91, early);
    assert_non_null((b = proctab_peek(t, 901)));
    assert_int_equal(b->n_ancestors, 2);
    assert_string_equal(b->ancestors[0], exe);
    assert_string_equal(b->ancestors[1], "/bin/sh");
    /* ...events after it look again: the path names no file now. */
    f.pid = 800;
    f.start_time = 80;
    f.time_ns = now_ns();
    proctab_exec_seen(t, &f);
    assert_null(proctab_peek(t, 800));
    proctab_fork(t, 500, 902, 92, now_ns());
    assert_non_null((b = proctab_peek(t, 902)));
    assert_int_equal(b->n_ancestors, 2);
    assert_non_null(strstr(b->ancestors[0], PROCTAB_UNVERIFIED_MARK));
    assert_string_equal(b->ancestors[1], "/bin/sh");

    /* Put back: a later fork looks and finds it. */
    assert_int_equal(rename(moved, exe), 0);
    proctab_fork(t, 500, 903, 93, now_ns());
    assert_non_null((b = proctab_peek(t, 903)));
    assert_string_equal(b->ancestors[0], exe);
    /* The file changed: a look made before no longer serves, even for an
     * event it came after. */
    assert_int_equal(rename(exe, moved), 0);
    proctab_forget_file(t, (ward_exe_id){st.st_dev, st.st_ino});
    proctab_fork(t, 500, 904, 94, early);
    assert_non_null((b = proctab_peek(t, 904)));
    assert_non_null(strstr(b->ancestors[0], PROCTAB_UNVERIFIED_MARK));

    /* A lookup or a refresh is no event: it looks, whatever looked before. */
    assert_int_equal(rename(moved, exe), 0);
    proctab_fork(t, 500, 905, 95, now_ns());
    assert_non_null((b = proctab_peek(t, 905)));
    assert_string_equal(b->ancestors[0], exe);
    assert_int_equal(rename(exe, moved), 0);
    fake_proc(root, 1200, "/bin/true", 500, 120);
    fake_proc(root, 1300, "/bin/true", 500, 130);
    assert_non_null((b = proctab_refresh(t, 1200)));
    assert_int_equal(b->n_ancestors, 2);
    assert_non_null(strstr(b->ancestors[0], PROCTAB_UNVERIFIED_MARK));
    assert_int_equal(rename(moved, exe), 0);
    proctab_fork(t, 500, 906, 96, now_ns()); /* a fresh look again */
    assert_int_equal(rename(exe, moved), 0);
    assert_non_null((b = proctab_lookup(t, 1300)));
    assert_non_null(strstr(b->ancestors[0], PROCTAB_UNVERIFIED_MARK));
    proctab_free(t);
    snprintf(cmd, sizeof(cmd), "rm -rf %s %s", root, dir);
    assert_int_equal(system(cmd), 0);
}

/* A departed process's entry is kept for the next one: in sanitizer
 * builds it is poisoned meanwhile, so a pointer kept to it fails as a
 * freed one would. */
static void departed_entries_are_poisoned(void **state)
{
    (void)state;
    char root[] = "/tmp/ward-fakeproc-XXXXXX", cmd[400];
    assert_non_null(mkdtemp(root));
    fake_proc(root, 100, "/bin/sh", 1, 10);
    proctab *t = proctab_new(root);
    proctab_set_events(t, true);
    const ward_proc *p = proctab_lookup(t, 100);
    assert_non_null(p);
    ward_proc gone;
    assert_true(proctab_exit(t, 100, &gone));
    proctab_proc_free(&gone);
#if defined(__SANITIZE_ADDRESS__)
    assert_true(__asan_address_is_poisoned(p));
#endif
    const ward_proc *again = proctab_lookup(t, 100); /* reuses the entry */
    assert_ptr_equal(again, p);
#if defined(__SANITIZE_ADDRESS__)
    assert_false(__asan_address_is_poisoned(again));
#endif
    assert_int_equal(again->pid, 100);
    proctab_free(t);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scan_finds_self),
        cmocka_unit_test(replaced_binary_keeps_identity),
        cmocka_unit_test(deleted_suffix_is_part_of_the_name),
        cmocka_unit_test(replaced_after_verify),
        cmocka_unit_test(connector_events),
        cmocka_unit_test(sweep_reports_lost_exits),
        cmocka_unit_test(pid_reuse_is_not_the_same_process),
        cmocka_unit_test(ancestors_follow_the_parents),
        cmocka_unit_test(exec_after_the_exit_tells_of_it),
        cmocka_unit_test(exec_from_its_facts),
        cmocka_unit_test(looks_serve_earlier_events),
        cmocka_unit_test(departed_entries_are_poisoned),
    };
    return cmocka_run_group_tests_name("proc", tests, NULL, NULL);
}
