// SPDX-License-Identifier: MIT
/* loop.c - the run loop: poll on signals, pidfds and timers; no ticking. */
#include "loop.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "anatomy.h"
#include "render.h"
#include "term.h"
#include "live.h"

/* P_RECORDS, P_ANAT_TIMER: the flush anatomy's ring buffer and timer (slow.c) */
enum { P_SIG, P_TARGET, P_CHILD, P_INTERVAL, P_DURATION, P_WATCH, P_WATCH_TIMER, P_RECORDS,
       P_ANAT_TIMER, P_NR };

static int stop_sig;

static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

/* The signals the loop reads: stops, and the live view's own. */
static void loop_signals(const struct fl_session *t, sigset_t *set)
{
	stop_signals(set);
	if (t->o.watch)
		fl_live_sigset(set);
}

int fl_loop_block_signals(const struct fl_session *t)
{
	sigset_t set;

	loop_signals(t, &set);
	signal(SIGPIPE, SIG_IGN); /* a scraper or pipe reader hanging up must not kill us */
	return sigprocmask(SIG_BLOCK, &set, NULL);
}

int fl_loop_stop_signal(void)
{
	return stop_sig;
}

int fl_emit(struct fl_session *t, const struct fl_snapshot *s)
{
	struct fl_snapshot shown = *s; /* shares procs; s stays the raw base of --delta */
	struct strbuf sb;
	int err;

	fl_snapshot_settle(&shown);
	strbuf_init(&sb);
	t->o.render.term_cols = fl_term_cols(fileno(t->out)); /* the histogram's width */
	fl_render(t->o.format, &shown, &t->o.render, &sb);
	errno = sb.oom ? ENOMEM : 0;
	err = sb.oom || fwrite(strbuf_str(&sb), 1, sb.len, t->out) != sb.len || fflush(t->out);
	strbuf_free(&sb);
	if (err)
		fprintf(stderr, "flushlat: cannot write the snapshot: %s\n", strerror(errno));
	return err ? -1 : 0;
}

/* One --interval tick: cumulative, or the change since the last tick. */
static int tick(struct fl_session *t, struct fl_snapshot *prev)
{
	struct fl_snapshot cur, d;
	int err;

	if (t->live)
		return fl_live_tick(t, prev);
	err = fl_reader_read(&t->reader, t->consumer, &cur);
	if (err == -ETIMEDOUT) {
		/* a preempted BPF update held the old epoch: the next tick covers both */
		fprintf(stderr, "flushlat: warning: a BPF update did not finish within %d ms; "
			"this interval is reported with the next one\n", FL_EPOCH_DRAIN_TIMEOUT_MS);
		return 0;
	}
	if (err) {
		fprintf(stderr, "flushlat: cannot read the BPF maps: %s\n", strerror(-err));
		return -1;
	}
	if (!t->o.delta) {
		err = fl_emit(t, &cur);
	} else {
		if (fl_snapshot_delta(&d, &cur, prev)) {
			fl_snapshot_free(&cur);
			return -1;
		}
		err = fl_emit(t, &d);
		fl_snapshot_free(&d);
	}
	fl_snapshot_free(prev);
	*prev = cur;
	return err;
}

static struct timespec ts_of(double s)
{
	struct timespec ts;

	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)llround((s - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* A timerfd firing after secs (and every secs when periodic); -1 when secs is 0. */
static int timer(double secs, int periodic)
{
	struct itimerspec its = { 0 };
	int fd;

	if (secs <= 0)
		return -1;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0)
		return -1;
	its.it_value = ts_of(secs);
	if (periodic)
		its.it_interval = its.it_value;
	if (timerfd_settime(fd, 0, &its, NULL)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void drain(int fd)
{
	uint64_t n;

	while (read(fd, &n, sizeof(n)) > 0)
		;
}

static int read_signal(int fd)
{
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return 0;
	return (int)si.ssi_signo;
}

struct loop {
	struct pollfd p[P_NR];
	int running; /* still waiting for the target or a stop */
};

static void close_fd(struct pollfd *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

/*
 * Stopping: without a child the run ends now; with one, CMD is asked to stop
 * (sig forwarded) and the run ends when it has exited.
 */
static void stop(struct fl_session *t, struct loop *l, int sig)
{
	if (t->child.pid && !t->child.done) {
		fl_child_signal(&t->child, sig);
		return;
	}
	l->running = 0;
}

int fl_loop_run(struct fl_session *t, struct fl_snapshot *prev)
{
	struct loop l = { .running = 1 };
	sigset_t set;
	int ret = 0;

	loop_signals(t, &set);
	for (int i = 0; i < P_NR; i++) {
		l.p[i].fd = -1;
		l.p[i].events = POLLIN;
	}
	l.p[P_SIG].fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	l.p[P_TARGET].fd = t->o.pid ? t->pidfd : -1;
	l.p[P_CHILD].fd = t->child.pid ? t->child.pidfd : -1;
	l.p[P_INTERVAL].fd = timer(t->o.interval, 1);
	l.p[P_DURATION].fd = timer(t->o.duration, 0);
	l.p[P_WATCH].fd = t->watch.ifd; /* owned by the watch */
	l.p[P_WATCH_TIMER].fd = t->watch.tfd;
	l.p[P_RECORDS].fd = fl_anat_ring_fd(t->anat); /* owned by the anatomy */
	l.p[P_ANAT_TIMER].fd = fl_anat_timer_fd(t->anat);
	if (l.p[P_SIG].fd < 0 || (t->o.interval && l.p[P_INTERVAL].fd < 0) ||
	    (t->o.duration && l.p[P_DURATION].fd < 0)) {
		fprintf(stderr, "flushlat: cannot set up the run loop: %s\n", strerror(errno));
		l.running = 0;
		ret = -1;
		stop(t, &l, SIGTERM);
	}
	while (l.running || (t->child.pid && !t->child.done)) {
		if (poll(l.p, P_NR, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "flushlat: poll: %s\n", strerror(errno));
			ret = -1;
			break;
		}
		if (l.p[P_SIG].revents) {
			int sig = read_signal(l.p[P_SIG].fd);

			if (sig && !fl_live_signal(t, sig)) {
				if (!stop_sig)
					stop_sig = sig;
				stop(t, &l, sig);
			}
		}
		if (l.p[P_CHILD].revents) {
			fl_child_reap(&t->child, 1);
			l.p[P_CHILD].fd = -1; /* owned by the child state */
			l.running = 0;
		}
		if (l.p[P_TARGET].revents) {
			l.p[P_TARGET].fd = -1; /* owned by the session */
			l.running = 0;
		}
		if (l.p[P_DURATION].revents) {
			close_fd(&l.p[P_DURATION]);
			stop(t, &l, SIGTERM);
		}
		if (l.p[P_WATCH].revents)
			fl_watch_events(t);
		if (l.p[P_WATCH_TIMER].revents)
			fl_watch_timer(t);
		if ((l.p[P_RECORDS].revents && fl_anat_on_ring(t)) ||
		    (l.p[P_ANAT_TIMER].revents && fl_anat_on_timer(t))) {
			/* a record could not be written: the run ends like after a snapshot */
			ret = -1;
			l.p[P_RECORDS].fd = l.p[P_ANAT_TIMER].fd = -1;
			l.running = 0;
			fl_child_signal(&t->child, SIGTERM);
		}
		if (l.p[P_INTERVAL].revents) {
			drain(l.p[P_INTERVAL].fd); /* late ticks are merged into one */
			if (l.running && tick(t, prev)) {
				/* a write error ends the run: CMD is stopped, never orphaned */
				ret = -1;
				close_fd(&l.p[P_INTERVAL]);
				l.running = 0;
				fl_child_signal(&t->child, SIGTERM);
			}
		}
	}
	close_fd(&l.p[P_SIG]);
	close_fd(&l.p[P_INTERVAL]);
	close_fd(&l.p[P_DURATION]);
	return ret;
}
