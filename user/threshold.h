/* SPDX-License-Identifier: MIT */
/*
 * --fail-if expressions: "<metric><op><value>", e.g. p99>5ms, max>1s,
 * samples<100, in_flight>0; for diff: p99>+20%.  Units ns/us/ms/s.
 */
#ifndef FLUSHLAT_THRESHOLD_H
#define FLUSHLAT_THRESHOLD_H

#include <stddef.h>

#include "snapshot.h"

#define FL_EXIT_THRESHOLD 3 /* exit status when a --fail-if holds */

struct fl_threshold {
	char text[64];  /* as given, for messages */
	int metric;     /* internal id */
	int op;         /* internal id */
	double value;   /* ns for durations, plain number otherwise */
	int relative;   /* value is a percentage change (diff only) */
};

/* 1 when the metric needs the start probe (in_flight, unmatched): unknown with --lean. */
int fl_threshold_needs_start(const struct fl_threshold *t);
int fl_threshold_parse(const char *expr, struct fl_threshold *t, char *err, size_t errlen);
/* 1 when the condition holds on s (why filled), 0 otherwise. */
int fl_threshold_eval(const struct fl_threshold *t, const struct fl_snapshot *s, char *why, size_t len);
/* For diff: 1 when the condition holds on the change base -> new. */
int fl_threshold_eval_diff(const struct fl_threshold *t, const struct fl_snapshot *base,
			   const struct fl_snapshot *now, char *why, size_t len);

#endif /* FLUSHLAT_THRESHOLD_H */
