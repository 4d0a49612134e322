// SPDX-License-Identifier: MIT
/*
 * watch.c - `-b PATH` and `--lib PATH` follow PATH across deploys (see
 * watch.h).  Events only schedule a look FL_WATCH_SETTLE_MS later, so a file
 * being written is looked at once it is quiet, and only a complete ELF file
 * is attached to (a half-written one would attach wrong offsets or fail).
 * Files are compared by the inodes flushlat holds open, never by inode
 * numbers alone (install(1) hands the new file the number just freed).
 */
#define _GNU_SOURCE
#include "watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>

#include "caps.h"
#include "flushlat.skel.h"
#include "msg.h"
#include "session.h"

#define DIR_EVENTS (IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_MOVED_FROM | \
		    IN_MOVED_TO | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define FILE_EVENTS (IN_MODIFY | IN_CLOSE_WRITE)

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Arms the timer for the earlier of the pending settle and retire checks. */
static void arm(struct fl_watch *w)
{
	uint64_t next = w->settle_at;
	struct itimerspec its = { 0 };

	if (w->retire_at && (!next || w->retire_at < next))
		next = w->retire_at;
	its.it_value.tv_sec = (time_t)(next / 1000000000ULL);
	its.it_value.tv_nsec = (long)(next % 1000000000ULL);
	timerfd_settime(w->tfd, TFD_TIMER_ABSTIME, &its, NULL); /* 0 disarms */
}

/* Watches dir for changes to name (one of the path's components). */
static void add_dir(struct fl_watch *w, struct fl_watch_path *p, const char *dir, size_t dirlen,
		    const char *name)
{
	char d[PATH_MAX];
	int wd;

	if (p->ndirs == FL_WATCH_DIRS || dirlen >= sizeof(d) || strlen(name) > NAME_MAX)
		return;
	memcpy(d, dir, dirlen);
	d[dirlen] = '\0';
	wd = inotify_add_watch(w->ifd, d, DIR_EVENTS);
	if (wd < 0)
		return;
	p->dirs[p->ndirs].wd = wd;
	snprintf(p->dirs[p->ndirs].name, sizeof(p->dirs[0].name), "%s", name);
	p->ndirs++;
}

/*
 * The directories to watch for path: the one holding its last component and
 * the one holding each symlink on the way (a deploy may switch a
 * "current -> release-N" link).  Re-done at every look: links change.
 */
static void watch_dirs(struct fl_watch *w, struct fl_watch_path *p)
{
	const char *s = p->path, *end;
	char prefix[PATH_MAX];

	p->ndirs = 0; /* a watch no longer listed stays in the kernel, harmlessly */
	for (end = strchr(s + 1, '/'); end; end = strchr(end + 1, '/')) {
		struct stat st;
		const char *slash;
		size_t n = (size_t)(end - s);

		if (n >= sizeof(prefix))
			break;
		memcpy(prefix, s, n);
		prefix[n] = '\0';
		if (lstat(prefix, &st) || !S_ISLNK(st.st_mode))
			continue;
		slash = strrchr(prefix, '/');
		if (slash)
			add_dir(w, p, prefix, slash == prefix ? 1 : (size_t)(slash - prefix), slash + 1);
		else
			add_dir(w, p, ".", 1, prefix);
	}
	end = strrchr(s, '/');
	if (end)
		add_dir(w, p, s, end == s ? 1 : (size_t)(end - s), end + 1);
	else
		add_dir(w, p, ".", 1, s);
}

/* A file the session holds gets its own watch: writes to it (through any name). */
static void watch_file(struct fl_watch *w, struct fl_target *x)
{
	char path[64];

	fl_target_fd_path(x, path, sizeof(path));
	x->wd = inotify_add_watch(w->ifd, path, FILE_EVENTS);
	if (x->wd < 0)
		x->wd = 0;
}

static void remember(struct fl_watch_path *p, const struct stat *st)
{
	p->dev = st->st_dev;
	p->ino = st->st_ino;
}

int fl_watch_start(struct fl_session *t)
{
	struct fl_watch *w = &t->watch;
	const char *paths[1 + FL_MAX_LIBS];
	int n = 0;

	if (t->o.pid || t->o.cmd)
		return 0; /* one process: a deploy does not change what it runs */
	if (t->o.binary)
		paths[n++] = t->o.binary;
	for (int i = 0; i < t->o.nlibs; i++)
		paths[n++] = t->o.libs[i];
	if (!n)
		return 0;
	w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->ifd < 0 || w->tfd < 0) {
		fl_err("warning: cannot follow %s across deploys (inotify: %s)", paths[0],
		       strerror(errno));
		fl_watch_stop(w);
		return 0;
	}
	w->retire_ms = FL_WATCH_RETIRE_MS;
	for (int i = 0; i < n; i++) {
		struct fl_watch_path *p = &w->p[w->n++];
		struct stat st;

		p->path = paths[i];
		if (!stat(p->path, &st))
			remember(p, &st);
		watch_dirs(w, p);
	}
	for (int i = 0; i < t->targets.n; i++)
		watch_file(w, &t->targets.t[i]);
	return 0;
}

void fl_watch_stop(struct fl_watch *w)
{
	if (w->ifd >= 0)
		close(w->ifd);
	if (w->tfd >= 0)
		close(w->tfd);
	w->ifd = w->tfd = -1;
}

static struct fl_target *target_of_wd(struct fl_session *t, int wd)
{
	for (int i = 0; i < t->targets.n; i++)
		if (t->targets.t[i].wd == wd)
			return &t->targets.t[i];
	return NULL;
}

/* 1 when the event concerns a name on a watched path, or a watched directory itself. */
static int relevant(const struct fl_watch *w, const struct inotify_event *e)
{
	for (int i = 0; i < w->n; i++) {
		for (int j = 0; j < w->p[i].ndirs; j++) {
			const struct fl_watch_dir *d = &w->p[i].dirs[j];

			if (d->wd != e->wd)
				continue;
			if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
				return 1;
			if (e->len && !strcmp(e->name, d->name))
				return 1;
		}
	}
	return 0;
}

void fl_watch_events(struct fl_session *t)
{
	struct fl_watch *w = &t->watch;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int due = 0;
	ssize_t n;

	while ((n = read(w->ifd, buf, sizeof(buf))) > 0) {
		for (char *q = buf; q < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)q;
			struct fl_target *x;

			q += sizeof(*e) + e->len;
			if (e->mask & IN_Q_OVERFLOW) {
				due = 1; /* events were lost: look at everything */
				continue;
			}
			x = target_of_wd(t, e->wd);
			if (x && (e->mask & IN_MODIFY) && !x->stale) {
				/* rewritten in place: its probes sit at the old offsets now */
				fl_detach_target(t, x);
				x->stale = 1;
			}
			due |= x != NULL || relevant(w, e);
		}
	}
	if (due) {
		w->settle_at = mono_ns() + FL_WATCH_SETTLE_MS * 1000000ULL;
		arm(w);
	}
}

/* The loaded programs read the probe arguments from fixed registers: does fd pass them there? */
static int args_fit(struct fl_session *t, int fd)
{
	const struct flushlat__rodata *ro = t->skel->rodata;
	int s[FL_MAX_ARGS], d[FL_MAX_ARGS];

	if (ro->start_arg0 == FL_REG_NONE && ro->done_arg0 == FL_REG_NONE &&
	    ro->done_arg1 == FL_REG_NONE)
		return 1; /* the generic reader: any file */
	return fl_probe_arg_regs(fd, "meta_flush_start", s, FL_MAX_ARGS) == 1 &&
	       fl_probe_arg_regs(fd, "meta_flush_done", d, FL_MAX_ARGS) == 2 &&
	       s[0] == ro->start_arg0 && d[0] == ro->done_arg0 && d[1] == ro->done_arg1;
}

/* Why fd cannot be attached to (NULL: it can), or "" while it is still being written. */
static const char *unusable(struct fl_session *t, int fd)
{
	char magic[4];
	int ret;

	/* a file being written may be empty for a moment, but never starts otherwise */
	ret = (int)pread(fd, magic, sizeof(magic), 0);
	if (ret == (int)sizeof(magic) && memcmp(magic, "\177ELF", 4) != 0)
		return "not an ELF file";
	if (!fl_elf_complete(fd))
		return "";
	ret = fl_fd_has_probes(fd, NULL, 0);
	if (ret < 0)
		return "not an ELF file";
	if (ret == 0)
		return "no flashstrike USDT probes";
	if (!args_fit(t, fd))
		return "its probes pass their arguments in other registers than the file flushlat "
		       "started with (restart flushlat to trace it)";
	return NULL;
}

static int attach_now(struct fl_session *t, struct fl_target *x)
{
	int err;

	fl_caps_raise();
	err = fl_attach_target(t, x, -1, 0);
	fl_caps_lower();
	return err;
}

/* A file held is rewritten in place: back on once it is whole again. */
static void rewritten(struct fl_session *t, struct fl_target *x)
{
	const char *why;
	struct stat st;

	if (fstat(x->fd, &st))
		return;
	/*
	 * No write seen and the same size: unchanged (touch(1), a CLOSE_WRITE
	 * without a write).  Detaching would miss flushes for nothing.  A new
	 * size without a seen write means events were lost (queue overflow).
	 */
	if (!x->stale && st.st_size == x->size)
		return;
	if (!x->stale) {
		fl_detach_target(t, x); /* missed the write itself (queue overflow) */
		x->stale = 1;
	}
	why = unusable(t, x->fd);
	if (why && !*why)
		return; /* still being written */
	x->size = st.st_size;
	if (why) {
		fl_err("%s was rewritten in place: %s: no longer traced", x->path, why);
		return;
	}
	if (!attach_now(t, x)) {
		x->stale = 0;
		fl_err("%s was rewritten in place: probes attached at its new offsets", x->path);
	}
}

/* 1 when no other watched path names target x. */
static int orphaned(const struct fl_watch *w, const struct fl_target *x)
{
	for (int i = 0; i < w->n; i++)
		if (w->p[i].dev == x->dev && w->p[i].ino == x->ino)
			return 0;
	return 1;
}

static void retire_later(struct fl_watch *w)
{
	if (!w->retire_at)
		w->retire_at = mono_ns() + (uint64_t)w->retire_ms * 1000000ULL;
}

/* Path p may name another file now: attach to it. */
static void follow(struct fl_session *t, struct fl_watch_path *p)
{
	struct fl_watch *w = &t->watch;
	const char *why;
	struct stat st;
	int fd, i;

	watch_dirs(w, p);
	fd = fl_open_regular(p->path, &st);
	if (fd < 0)
		return; /* gone (for now): the old file stays traced */
	if (st.st_dev == p->dev && st.st_ino == p->ino) {
		close(fd);
		return;
	}
	i = fl_targets_find(&t->targets, st.st_dev, st.st_ino);
	if (i >= 0) { /* a file already traced (another path's, or the old one back) */
		close(fd);
		t->targets.t[i].retired = 0;
		remember(p, &st);
		return;
	}
	why = unusable(t, fd);
	if (why && !*why) {
		close(fd); /* still being written: its close or next write brings us back */
		return;
	}
	if (why) {
		if (st.st_dev != p->told_dev || st.st_ino != p->told_ino)
			fl_err("%s was replaced by a file that cannot be traced (%s): processes "
			       "started from it are not counted", p->path, why);
		p->told_dev = st.st_dev;
		p->told_ino = st.st_ino;
		close(fd);
		return;
	}
	i = fl_targets_find(&t->targets, p->dev, p->ino);
	if (fl_targets_add(&t->targets, fd, &st, p->path) != 1) {
		fl_err("%s was replaced, but flushlat holds %d files already: not traced", p->path,
		       FL_MAX_TARGETS);
		return;
	}
	remember(p, &st);
	if (attach_now(t, &t->targets.t[t->targets.n - 1])) {
		fl_targets_remove(&t->targets, t->targets.n - 1);
		return;
	}
	watch_file(w, &t->targets.t[t->targets.n - 1]);
	if (i >= 0 && orphaned(w, &t->targets.t[i])) {
		struct fl_target *old = &t->targets.t[i];

		old->retired = 1; /* nothing can rewrite it under its old name now */
		if (old->wd)
			inotify_rm_watch(w->ifd, old->wd);
		old->wd = 0;
		retire_later(w);
	}
	fl_err("%s was replaced: attached to the new file (the old one stays traced while a "
	       "process runs it)", p->path);
}

static void settle(struct fl_session *t)
{
	for (int i = 0; i < t->targets.n; i++)
		if (!t->targets.t[i].retired)
			rewritten(t, &t->targets.t[i]);
	for (int i = 0; i < t->watch.n; i++)
		follow(t, &t->watch.p[i]);
}

/*
 * 1 when a process still runs or maps target x.  A running executable is
 * told by the kernel itself: it refuses to open it for writing (ETXTBSY;
 * nothing is written, and the file has no name left to be run by).  A
 * library is looked for in every process's maps; a process flushlat may not
 * inspect (more privileged than it) is not seen.
 */
static int mapped(const struct fl_target *x)
{
	char self[64];
	DIR *d;
	struct dirent *de;
	int found = 0, fd;

	fl_target_fd_path(x, self, sizeof(self));
	fd = open(self, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0)
		close(fd);
	else if (errno == ETXTBSY)
		return 1;
	d = opendir("/proc");
	if (!d)
		return 1; /* cannot tell: keep it */
	fl_caps_raise(); /* CAP_SYS_PTRACE: other users' maps too */
	while (!found && (de = readdir(d))) {
		char path[64], line[PATH_MAX + 256];
		FILE *f;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/maps", strtol(de->d_name, NULL, 10));
		f = fopen(path, "re");
		while (f && !found && fgets(line, sizeof(line), f)) {
			struct fl_maps_entry e;

			found = !fl_maps_line_parse(line, &e) && e.dev == x->dev && e.ino == x->ino;
		}
		if (f)
			fclose(f);
	}
	fl_caps_lower();
	closedir(d);
	return found;
}

/* Replaced files no process runs any more are let go (their disk space too). */
static void retire(struct fl_session *t)
{
	struct fl_watch *w = &t->watch;
	int pending = 0;

	w->retire_at = 0;
	for (int i = 0; i < t->targets.n; i++) {
		struct fl_target *x = &t->targets.t[i];
		struct stat st;

		if (!x->retired)
			continue;
		/* still reachable under a name, or run: keep it */
		if (fstat(x->fd, &st) || st.st_nlink > 0 || mapped(x)) {
			pending = 1;
			continue;
		}
		fl_err("no process runs the replaced %s any more: detached from it", x->path);
		fl_detach_target(t, x);
		fl_targets_remove(&t->targets, i--);
	}
	if (pending) {
		w->retire_ms = w->retire_ms * 2 > FL_WATCH_RETIRE_MAX_MS ? FL_WATCH_RETIRE_MAX_MS :
									   w->retire_ms * 2;
		retire_later(w);
	} else {
		w->retire_ms = FL_WATCH_RETIRE_MS;
	}
}

void fl_watch_timer(struct fl_session *t)
{
	struct fl_watch *w = &t->watch;
	uint64_t n, now = mono_ns();

	while (read(w->tfd, &n, sizeof(n)) > 0)
		;
	if (w->settle_at && now >= w->settle_at) {
		w->settle_at = 0;
		settle(t);
	}
	if (w->retire_at && now >= w->retire_at)
		retire(t);
	arm(w);
}
