// SPDX-License-Identifier: MIT
/*
 * targets.c - which files a session attaches to: those of -p PID (its mapped
 * files), -b PATH, -- CMD (and the libraries it will load) and --lib; one
 * message naming the cause when there is nothing to attach to.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldso.h"
#include "proc.h"
#include "session.h"

/* Which files to attach to; one clear message when there is nothing. */
static int find_files(struct fl_session *t)
{
	struct fl_opts *o = &t->o;
	char other[512] = "";
	int ret;

	for (int i = 0; i < o->nlibs; i++) {
		ret = fl_has_probes(o->libs[i], NULL, 0);
		if (ret != 1) {
			fprintf(stderr, "flushlat: --lib %s: %s\n", o->libs[i],
				ret == 0 ? "no flashstrike USDT probes" :
				ret == -ENOEXEC ? "not an ELF file" :
				ret == -EINVAL ? "not a regular file" : strerror(-ret));
			return -1;
		}
	}
	if (o->pid) {
		/* A pidfd sees the exit even while the target is an unreaped zombie. */
		t->pidfd = fl_pidfd_open(o->pid);
		if (t->pidfd < 0) {
			if (errno == ESRCH)
				fprintf(stderr, "flushlat: no such process: %d\n", (int)o->pid);
			else if (errno == EINVAL)
				fprintf(stderr, "flushlat: %d is a thread, not a process: give its "
						"process id (Tgid in /proc/%d/status)\n",
					(int)o->pid, (int)o->pid);
			else
				fprintf(stderr, "flushlat: cannot watch process %d: %s\n", (int)o->pid,
					strerror(errno));
			return -1;
		}
		if (fl_targets_from_pid(o->pid, &t->targets, other, sizeof(other))) {
			fprintf(stderr, "flushlat: cannot read /proc/%d/maps: %s\n", (int)o->pid,
				fl_proc_exited(o->pid) ? "the process exited" : strerror(errno));
			return -1;
		}
		if (!t->targets.n && !o->nlibs && fl_proc_exited(o->pid)) {
			fprintf(stderr, "flushlat: process %d has exited\n", (int)o->pid);
			return -1;
		}
		if (!t->targets.n && !o->nlibs) {
			fprintf(stderr, "flushlat: process %d has no flashstrike USDT probes (%s%s)\n",
				(int)o->pid, *other ? "it has: " : "no USDT probes at all",
				*other ? other : "");
			return -1;
		}
		return 0;
	}
	if (!o->binary && !o->cmd)
		return 0; /* --lib only */
	if (o->cmd) {
		char err[PATH_MAX + 64];

		if (fl_child_resolve(o->cmd[0], t->exe, err, sizeof(err))) {
			fprintf(stderr, "flushlat: %s\n", err);
			return -1;
		}
	} else {
		snprintf(t->exe, sizeof(t->exe), "%s", o->binary);
	}
	ret = fl_has_probes(t->exe, other, sizeof(other));
	if (ret < 0) {
		fprintf(stderr, "flushlat: cannot read %s: %s\n", t->exe,
			ret == -ENOEXEC ? "not an ELF file" :
			ret == -EINVAL ? "not a regular file" : strerror(-ret));
		return -1;
	}
	if (ret == 1)
		snprintf(t->targets.path[t->targets.n++], PATH_MAX, "%s", t->exe);
	if (o->cmd)
		fl_targets_from_deps(t->exe, &t->targets);
	if (!t->targets.n && !o->nlibs) {
		fprintf(stderr, "flushlat: %s has no flashstrike USDT probes (%s%s)%s\n", t->exe,
			*other ? "it has: " : "no USDT probes at all", *other ? other : "",
			o->cmd ? ", nor do its shared libraries; name one with --lib" : "");
		return -1;
	}
	return 0;
}

/* Adds --lib files, skipping any already found (the same file twice would count twice). */
static int add_libs(struct fl_session *t)
{
	char want[PATH_MAX], have[PATH_MAX];

	for (int i = 0; i < t->o.nlibs; i++) {
		int dup = 0;

		if (!realpath(t->o.libs[i], want))
			snprintf(want, sizeof(want), "%s", t->o.libs[i]);
		for (int j = 0; j < t->targets.n && !dup; j++)
			dup = realpath(t->targets.path[j], have) && !strcmp(want, have);
		if (dup)
			continue;
		if (t->targets.n == FL_MAX_TARGETS) {
			fprintf(stderr, "flushlat: too many files with probes (max %d)\n", FL_MAX_TARGETS);
			return -1;
		}
		snprintf(t->targets.path[t->targets.n++], PATH_MAX, "%s", t->o.libs[i]);
	}
	return 0;
}

int fl_find_targets(struct fl_session *t)
{
	return find_files(t) || add_libs(t) ? -1 : 0;
}
