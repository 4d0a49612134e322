/* SPDX-License-Identifier: MIT */
/*
 * The metric table: every number flushlat can judge or compare, with its
 * unit, how it is computed from a snapshot and whether it can be unknown.
 * --fail-if, the diff rows, the text and JSON percentiles, the help texts and
 * the error messages all derive from this one table.
 */
#ifndef FLUSHLAT_METRICS_H
#define FLUSHLAT_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"
#include "strbuf.h"

enum fl_unit {
	FL_UNIT_COUNT,   /* a plain count */
	FL_UNIT_NS,      /* a duration in nanoseconds (takes ns/us/ms/s) */
	FL_UNIT_PER_SEC, /* a rate (double) */
};

/* flags */
#define FL_MF_START 0x1 /* needs the start probe: unknown with --lean */
#define FL_MF_DIFF 0x2  /* a row of `flushlat diff` */
#define FL_MF_BREAKDOWN 0x4 /* a flush component (COMP.STAT): needs --breakdown */
#define FL_MF_SLOW 0x8  /* needs --slow */
#define FL_MF_STUCK 0x10 /* needs --stuck */
#define FL_MF_FAILED 0x20 /* needs the meta_flush_failed probe: unknown without it */

/* A metric's value on one snapshot. */
struct fl_value {
	int known;  /* 0: not measured (e.g. in-flight counts with --lean) */
	uint64_t u; /* counts and durations, exact */
	double d;   /* the same as a double (rates only live here) */
};

struct fl_metric {
	const char *name; /* as written in --fail-if and diff: "p99.9" */
	const char *key;  /* JSON key of a percentile ("p99_9_ns"), else NULL */
	enum fl_unit unit;
	double q;         /* the quantile of a percentile, else 0 */
	unsigned int flags;
	struct fl_value (*get)(const struct fl_metric *m, const struct fl_snapshot *s);
	int comp;         /* FL_MF_BREAKDOWN: the component (enum fl_comp) */
};

extern const struct fl_metric fl_metrics[];
extern const size_t fl_nmetrics;

#define fl_for_each_metric(m) for ((m) = fl_metrics; (m) < fl_metrics + fl_nmetrics; (m)++)
/* The flush-duration percentiles, in table order (p50, p90, p99, p99.9). */
#define fl_for_each_quantile(m) fl_for_each_metric(m) if ((m)->q > 0 && !((m)->flags & FL_MF_BREAKDOWN))

/* The metric named by the first len bytes of name, or NULL. */
const struct fl_metric *fl_metric_find(const char *name, size_t len);
struct fl_value fl_metric_value(const struct fl_metric *m, const struct fl_snapshot *s);
/* What an unknown value lacks: "--lean" measures no starts, ... ("" if known). */
const char *fl_metric_needs(const struct fl_metric *m);
/* Why m's value is unknown on s (a missing probe, or fl_metric_needs()); NULL if known. */
const char *fl_metric_unknown_why(const struct fl_metric *m, const struct fl_snapshot *s);
/*
 * The names, in table order, separated by sep ("samples, total, ..."); the
 * component metrics as one entry, "COMP.STAT" with its two lists.
 */
void fl_metric_names(struct strbuf *out, const char *sep);

#endif /* FLUSHLAT_METRICS_H */
