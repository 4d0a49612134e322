/* SPDX-License-Identifier: MIT */
/*
 * watch.h - --watch: the live view on the terminal.  The loop hands it each
 * interval's reading and the signals it owns (SIGWINCH: redraw at the new
 * size; SIGTSTP/SIGCONT: give the terminal back while stopped).  The
 * terminal is restored on every way out (fl_live_stop is idempotent and
 * called by main on normal ends, errors and stop signals alike).
 */
#ifndef FLUSHLAT_LIVE_H
#define FLUSHLAT_LIVE_H

#include <signal.h>

#include "session.h"

/* Refuses --watch when stdout is not a terminal (one message); 0 or -1. */
int fl_live_check(const struct fl_opts *o);
/* Adds the view's signals to set (block them before threads exist). */
void fl_live_sigset(sigset_t *set);
/* Switches to the alternate screen and draws the first frame; 0 or -1 (one message). */
int fl_live_start(struct fl_session *t);
/* One interval: read, remember, redraw.  prev is the previous reading.  0 or -1. */
int fl_live_tick(struct fl_session *t, struct fl_snapshot *prev);
/* 1 when sig was the view's (handled), 0 when the loop should treat it. */
int fl_live_signal(struct fl_session *t, int sig);
/* Restores the terminal (main screen, cursor) and frees the view. */
void fl_live_stop(struct fl_session *t);

#endif /* FLUSHLAT_LIVE_H */
