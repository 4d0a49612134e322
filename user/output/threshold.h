/* SPDX-License-Identifier: MIT */
/*
 * --fail-if expressions: "<metric><op><value>", e.g. p99>5ms, max>1s,
 * samples<100, in_flight>0; for diff: p99>+20%.  Units ns/us/ms/s.  The
 * metrics are those of the metric table (metrics.h).
 */
#ifndef FLUSHLAT_THRESHOLD_H
#define FLUSHLAT_THRESHOLD_H

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "snapshot.h"

#define FL_THRESHOLD_TEXT 64

struct fl_threshold {
	char text[FL_THRESHOLD_TEXT]; /* as given, for messages */
	const struct fl_metric *metric;
	int op;                       /* internal id */
	double value;                 /* ns for durations, plain number otherwise */
	int relative;                 /* value is a percentage change (diff only) */
};

/* ns per unit for the duration unit u (n bytes: ns us ms s), 0 when unknown. */
double fl_duration_unit(const char *u, size_t n);
int fl_threshold_parse(const char *expr, struct fl_threshold *t, char *err, size_t errlen);
/*
 * A duration option: a plain decimal with a unit ns/us/ms/s ("5ms", "1.5s"),
 * or "0".  0 and *ns, or -1 on garbage, a missing unit or more than 10^18 ns.
 */
int fl_duration_parse(const char *s, uint64_t *ns);
/*
 * 1 when the condition holds on s (why says so), 0 when it does not, -1 when
 * the metric is unknown on s (--lean; why says so): an unknown value neither
 * satisfies nor fails a threshold.
 */
int fl_threshold_eval(const struct fl_threshold *t, const struct fl_snapshot *s, char *why,
		      size_t len);
/* For diff: the same on the change base -> new (absolute ones judge new). */
int fl_threshold_eval_diff(const struct fl_threshold *t, const struct fl_snapshot *base,
			   const struct fl_snapshot *now, char *why, size_t len);

#endif /* FLUSHLAT_THRESHOLD_H */
