// SPDX-License-Identifier: MIT
/*
 * live.c - --watch: the live view (output/live_view.c) on stdout.
 *
 * Each frame is written with one write(): cursor home, every line followed
 * by "erase to end of line", then "erase below", so a redraw never flickers
 * and a smaller frame leaves nothing behind.  The interval values are the
 * difference of two cumulative readings (the maps are never reset).
 */
#include "live.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "term.h"
#include "live_view.h"

struct fl_live_ui {
	struct fl_live view;
	int fd;
	int on_screen;       /* the alternate screen is up */
	uint64_t start_ns;   /* CLOCK_MONOTONIC at the start */
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int fl_live_check(const struct fl_opts *o)
{
	if (o->watch && !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "flushlat: --watch needs a terminal, and stdout is not one "
			"(use --interval for a log)\n");
		return -1;
	}
	return 0;
}

void fl_live_sigset(sigset_t *set)
{
	sigaddset(set, SIGWINCH);
	sigaddset(set, SIGTSTP);
	sigaddset(set, SIGCONT);
}

/* The frame at the terminal's current size, as terminal output. */
static int draw(struct fl_live_ui *w)
{
	struct strbuf frame, tty;
	int cols = 80, rows = 24, err;
	const char *p;

	fl_term_size(w->fd, &cols, &rows);
	strbuf_init(&frame);
	strbuf_init(&tty);
	/* the last column stays free: a line reaching it would wrap, or lose its
	 * last character to the "erase to end of line" that follows */
	fl_live_frame(&w->view, cols - 1, rows, clock_ns(CLOCK_REALTIME), &frame);
	strbuf_puts(&tty, "\033[H");
	for (p = strbuf_str(&frame); *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		strbuf_append(&tty, p, n);
		strbuf_puts(&tty, "\033[K");
		p += n;
		if (*p == '\n' && *++p)
			strbuf_puts(&tty, "\r\n");
	}
	strbuf_puts(&tty, "\033[J");
	errno = ENOMEM;
	err = frame.oom || tty.oom || fl_term_write(w->fd, strbuf_str(&tty), tty.len);
	strbuf_free(&frame);
	strbuf_free(&tty);
	return err ? -1 : 0;
}

/* Back to the main screen, with the reason on it. */
static int fail(struct fl_session *t, const char *what, int err)
{
	fl_live_stop(t);
	fprintf(stderr, "flushlat: --watch: %s: %s\n", what, strerror(err));
	return -1;
}

int fl_live_start(struct fl_session *t)
{
	struct fl_live_ui *w;

	if (!t->o.watch)
		return 0;
	w = calloc(1, sizeof(*w));
	if (!w) {
		fprintf(stderr, "flushlat: --watch: out of memory\n");
		return -1;
	}
	fl_live_init(&w->view, t->o.interval, fl_term_utf8());
	w->fd = STDOUT_FILENO;
	w->start_ns = clock_ns(CLOCK_MONOTONIC);
	t->live = w;
	fflush(stdout);
	if (fl_term_enter(w->fd))
		return fail(t, "cannot write to the terminal", errno);
	w->on_screen = 1;
	if (draw(w))
		return fail(t, "cannot write to the terminal", errno);
	return 0;
}

int fl_live_tick(struct fl_session *t, struct fl_snapshot *prev)
{
	struct fl_live_ui *w = t->live;
	struct fl_snapshot cur, d, shown;
	uint64_t from;
	int err;

	err = fl_reader_read(&t->reader, t->consumer, &cur);
	if (err == -ETIMEDOUT)
		return 0; /* a preempted BPF update held the old epoch: the next frame covers both */
	if (err)
		return fail(t, "cannot read the BPF maps", -err);
	if (fl_snapshot_delta(&d, &cur, prev)) {
		fl_snapshot_free(&cur);
		return fail(t, "cannot compute the interval", ENOMEM);
	}
	from = prev->taken_ns ? prev->taken_ns : w->start_ns;
	shown = cur; /* shares procs; cur stays the raw base of the next interval */
	fl_snapshot_settle(&shown);
	fl_snapshot_settle(&d);
	fl_live_add(&w->view, &shown, &d, cur.taken_ns - from, cur.taken_ns - w->start_ns);
	fl_snapshot_free(&d);
	fl_snapshot_free(prev);
	*prev = cur;
	if (draw(w))
		return fail(t, "cannot write to the terminal", errno);
	return 0;
}

int fl_live_signal(struct fl_session *t, int sig)
{
	struct fl_live_ui *w = t->live;

	if (sig != SIGWINCH && sig != SIGTSTP && sig != SIGCONT)
		return 0;
	if (!w)
		return 1;
	if (sig == SIGTSTP) {
		/* hand the shell its screen back, then really stop */
		if (w->on_screen && fl_term_leave(w->fd) == 0)
			w->on_screen = 0;
		kill(getpid(), SIGSTOP);
		return 1;
	}
	if (sig == SIGCONT && !w->on_screen) {
		if (fl_term_enter(w->fd))
			return 1; /* the next tick reports a terminal that is gone */
		w->on_screen = 1;
	}
	if (w->on_screen)
		draw(w); /* a failure shows again, and is reported, at the next tick */
	return 1;
}

void fl_live_stop(struct fl_session *t)
{
	struct fl_live_ui *w = t->live;

	if (!w)
		return;
	if (w->on_screen)
		fl_term_leave(w->fd);
	fl_snapshot_free(&w->view.run);
	free(w);
	t->live = NULL;
}
