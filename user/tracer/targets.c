// SPDX-License-Identifier: MIT
/*
 * targets.c - which files a session attaches to: those of -p PID (its mapped
 * files), -b PATH, -- CMD (and the libraries it will load) and --lib; one
 * message naming the cause when there is nothing to attach to.  A file is
 * kept once however it was reached (by device and inode: a bind mount, a
 * hard link or a symlink is the same file, and the kernel would count each
 * of its probes once per attachment).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "ldso.h"
#include "msg.h"
#include "proc.h"
#include "session.h"

#define OVERLAYFS_SUPER_MAGIC 0x794c7630

/* The --lib files, checked first: each must carry the probes. */
static int open_libs(struct fl_session *t, int *fds, struct stat *sts)
{
	struct fl_opts *o = &t->o;

	for (int i = 0; i < o->nlibs; i++) {
		int ret;

		fds[i] = fl_open_regular(o->libs[i], &sts[i]);
		ret = fds[i] < 0 ? fds[i] : fl_fd_has_probes(fds[i], NULL, 0);
		if (ret != 1) {
			fl_err("--lib %s: %s", o->libs[i],
			       ret == 0 ? "no flashstrike USDT probes" : fl_file_error(ret));
			for (int j = 0; j <= i; j++)
				if (fds[j] >= 0)
					close(fds[j]);
			return -1;
		}
	}
	return 0;
}

static int from_pid(struct fl_session *t)
{
	struct fl_opts *o = &t->o;
	char other[512] = "";
	int denied, err;

	/* A pidfd sees the exit even while the target is an unreaped zombie. */
	t->pidfd = fl_pidfd_open(o->pid);
	if (t->pidfd < 0) {
		if (errno == ESRCH)
			fl_err("no such process: %d", (int)o->pid);
		else if (errno == EINVAL)
			fl_err("%d is a thread, not a process: give its process id (Tgid in "
			       "/proc/%d/status)", (int)o->pid, (int)o->pid);
		else
			fl_err("cannot watch process %d: %s", (int)o->pid, strerror(errno));
		return -1;
	}
	err = fl_targets_from_pid(o->pid, &t->targets, other, sizeof(other), &denied);
	if (err) {
		fl_err("cannot read /proc/%d/maps: %s%s", (int)o->pid,
		       fl_proc_exited(o->pid) ? "the process exited" : strerror(-err),
		       err == -EACCES ? " (another user's process: needs CAP_SYS_PTRACE)" : "");
		return -1;
	}
	if (t->targets.n || o->nlibs)
		return 0;
	if (fl_proc_exited(o->pid))
		fl_err("process %d has exited", (int)o->pid);
	else if (denied)
		fl_err("cannot read the files of process %d: %s (another user's or a more "
		       "privileged process: needs CAP_SYS_PTRACE)", (int)o->pid, strerror(denied));
	else
		fl_err("process %d has no flashstrike USDT probes (%s%s)", (int)o->pid,
		       *other ? "it has: " : "no USDT probes at all", other);
	return -1;
}

/* -b PATH, or -- CMD and the libraries it will load. */
static int from_path(struct fl_session *t)
{
	struct fl_opts *o = &t->o;
	char other[512] = "";
	struct stat st;
	int fd, ret;

	if (o->cmd) {
		char err[PATH_MAX + 64];

		if (fl_child_resolve(o->cmd[0], t->exe, err, sizeof(err))) {
			fl_err("%s", err);
			return -1;
		}
	} else {
		snprintf(t->exe, sizeof(t->exe), "%s", o->binary);
	}
	fd = fl_open_regular(t->exe, &st);
	ret = fd < 0 ? fd : fl_fd_has_probes(fd, other, sizeof(other));
	if (ret < 0) {
		fl_err("cannot read %s: %s", t->exe, fl_file_error(ret));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (ret == 1)
		t->exe_probes = fl_targets_add(&t->targets, fd, &st, t->exe) == 1;
	else
		close(fd);
	if (o->cmd)
		fl_targets_from_deps(t->exe, &t->targets);
	if (!t->targets.n && !o->nlibs) {
		fl_err("%s has no flashstrike USDT probes (%s%s)%s", t->exe,
		       *other ? "it has: " : "no USDT probes at all", other,
		       o->cmd ? ", nor do its shared libraries; name one with --lib" : "");
		return -1;
	}
	return 0;
}

/* Adds the --lib files; one already found (under any name) is kept once. */
static int add_libs(struct fl_session *t, const int *fds, const struct stat *sts)
{
	for (int i = 0; i < t->o.nlibs; i++) {
		if (fl_targets_add(&t->targets, fds[i], &sts[i], t->o.libs[i]) < 0) {
			fl_err("too many files with probes (max %d)", FL_MAX_TARGETS);
			while (++i < t->o.nlibs)
				close(fds[i]);
			return -1;
		}
	}
	return 0;
}

static int on_overlayfs(int fd)
{
	struct statfs sf;

	return !fstatfs(fd, &sf) && sf.f_type == OVERLAYFS_SUPER_MAGIC;
}

/*
 * overlayfs shows one underlying file under another device number in each
 * mount: the same file then cannot be told from a copy, and the kernel,
 * which places the probe on the underlying inode, counts it once per
 * attachment.  Say so.
 */
static void warn_overlay(const struct fl_targets *ts)
{
	for (int i = 0; i < ts->n; i++)
		for (int j = i + 1; j < ts->n; j++)
			if (ts->t[i].ino == ts->t[j].ino && ts->t[i].dev != ts->t[j].dev &&
			    (on_overlayfs(ts->t[i].fd) || on_overlayfs(ts->t[j].fd)))
				fl_err("warning: %s and %s may be one file seen through overlayfs: "
				       "if so, each flush is counted twice", ts->t[i].path, ts->t[j].path);
}

int fl_find_targets(struct fl_session *t)
{
	int fds[FL_MAX_LIBS];
	struct stat sts[FL_MAX_LIBS];
	int err = 0;

	memset(sts, 0, sizeof(sts));
	for (int i = 0; i < FL_MAX_LIBS; i++)
		fds[i] = -1;
	if (open_libs(t, fds, sts))
		return -1;
	if (t->o.pid)
		err = from_pid(t);
	else if (t->o.binary || t->o.cmd)
		err = from_path(t);
	if (err) {
		for (int i = 0; i < t->o.nlibs; i++)
			close(fds[i]);
		return -1;
	}
	if (add_libs(t, fds, sts))
		return -1;
	warn_overlay(&t->targets);
	return 0;
}
