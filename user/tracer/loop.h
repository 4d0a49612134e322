/* SPDX-License-Identifier: MIT */
/*
 * loop.h - the run loop: event-driven, so an idle tracer never wakes up.
 * It waits in poll() on a signalfd (SIGINT, SIGTERM, SIGHUP; with --watch
 * also SIGWINCH, SIGTSTP, SIGCONT, which the live view handles), the target's
 * pidfd (-p) or the child's (-- CMD), and timerfds for --interval and
 * --duration.
 */
#ifndef FLUSHLAT_LOOP_H
#define FLUSHLAT_LOOP_H

#include "session.h"

/* Blocks the signals the loop reads (before any thread is created). */
int fl_loop_block_signals(const struct fl_session *t);
/*
 * Runs until the target exits, a signal, --duration or a write error.  With
 * -- CMD it never returns while CMD runs: signals are forwarded and CMD is
 * waited for.  prev is the last snapshot emitted (for --delta).  Returns 0,
 * or -1 after a write error (CMD then got SIGTERM and was waited for).
 */
int fl_loop_run(struct fl_session *t, struct fl_snapshot *prev);
/* The signal that ended the run (0 if none). */
int fl_loop_stop_signal(void);
/* Writes one rendered snapshot to the output.  0, or -1 with a message. */
int fl_emit(struct fl_session *t, const struct fl_snapshot *s);

#endif /* FLUSHLAT_LOOP_H */
