/* SPDX-License-Identifier: MIT */
/*
 * watch.h - `-b PATH` and `--lib PATH` follow PATH across deploys.
 *
 * A deploy replaces the file (a new file renamed over PATH, install(1), a
 * symlink switched): the kernel's probes stay on the old inode, so processes
 * started from the new file would go uncounted.  flushlat watches the
 * directories on PATH (inotify, one more fd in the run loop), and once they
 * have been quiet for FL_WATCH_SETTLE_MS attaches to the new file when it is
 * a complete ELF file with the probes, saying so on stderr.  The old file
 * stays attached while a process still maps it.  A file rewritten in place
 * (same inode, new content) has its probes taken off at once (they would sit
 * at the old offsets) and put back at the new ones once it is whole.  Nothing
 * here wakes up while nothing changes.
 */
#ifndef FLUSHLAT_WATCH_H
#define FLUSHLAT_WATCH_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "opts.h"

#define FL_WATCH_SETTLE_MS 200      /* quiet time after the last event */
#define FL_WATCH_RETIRE_MS 1000     /* first look for processes of a replaced file ... */
#define FL_WATCH_RETIRE_MAX_MS 60000 /* ... then twice as long each time, up to this */
#define FL_WATCH_DIRS 8             /* directories watched per path (symlinks on it) */

struct fl_session;

/* A directory that holds a name on the path (its last component, or a symlink). */
struct fl_watch_dir {
	int wd;
	char name[NAME_MAX + 1];
};

struct fl_watch_path {
	const char *path;            /* as given */
	dev_t dev;                   /* the file it named when last looked at */
	ino_t ino;
	dev_t told_dev;              /* the last file a warning was given for */
	ino_t told_ino;
	int ndirs;
	struct fl_watch_dir dirs[FL_WATCH_DIRS];
};

struct fl_watch {
	int ifd;                     /* inotify; -1 when not watching */
	int tfd;                     /* timerfd: the next settle or retire check */
	int n;
	struct fl_watch_path p[1 + FL_MAX_LIBS];
	uint64_t settle_at;          /* CLOCK_MONOTONIC ns; 0: nothing pending */
	uint64_t retire_at;
	unsigned int retire_ms;
};

#define FL_WATCH_INIT { .ifd = -1, .tfd = -1 }

/* Starts watching -b/--lib paths (sessions without a PID only).  0, or -1 with a message. */
int fl_watch_start(struct fl_session *t);
/* The inotify fd is readable. */
void fl_watch_events(struct fl_session *t);
/* The timer fd is readable. */
void fl_watch_timer(struct fl_session *t);
void fl_watch_stop(struct fl_watch *w);

#endif /* FLUSHLAT_WATCH_H */
