/* SPDX-License-Identifier: MIT */
/*
 * child.h - `flushlat -- CMD`: CMD is found as execvp would find it, forked
 * stopped before exec, released once the probes are attached (so no flush
 * is missed), and reaped with its status.
 */
#ifndef FLUSHLAT_CHILD_H
#define FLUSHLAT_CHILD_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

struct fl_child {
	pid_t pid;        /* 0 when there is no child */
	int pidfd;        /* readable once it exits */
	int go_fd;        /* write end: one byte releases it into exec */
	int done;         /* reaped */
	int status;       /* wait status, once done */
	unsigned long sent; /* the signals flushlat forwarded (bit N: signal N) */
};

#define FL_CHILD_INIT { .pidfd = -1, .go_fd = -1 }

/*
 * Resolves cmd like execvp (a name without '/' is looked up in PATH) into
 * exe (PATH_MAX bytes).  0, or -1 with a message naming the cause in err.
 */
int fl_child_resolve(const char *cmd, char *exe, char *err, size_t errlen);
/* Forks exe with argv, stopped before exec.  0, or -1 with a message in err. */
int fl_child_fork(struct fl_child *c, const char *exe, char **argv, char *err, size_t errlen);
/* Lets it exec.  0, or -1 if it is already gone. */
int fl_child_release(struct fl_child *c);
/* Forwards sig (remembered: a CMD stopped by our own signal is not a failure). */
void fl_child_signal(struct fl_child *c, int sig);
/* 1 when CMD's status says one of the signals flushlat forwarded stopped it. */
int fl_child_stopped_by_us(const struct fl_child *c);
/* Reaps it if it has exited (nonblocking); 1 when done. */
int fl_child_reap(struct fl_child *c, int block);
/* CMD's exit status as a shell reports it (128+N when killed by signal N). */
int fl_child_exit_code(const struct fl_child *c);
/* Never leaves CMD behind: an unreleased child exits at once, a running one is waited for. */
void fl_child_cleanup(struct fl_child *c);

#endif /* FLUSHLAT_CHILD_H */
