/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus exposition of a snapshot, independent of the wire format:
 * the one description of every family flushlat exports (name, type, unit,
 * help) and the values of one scrape.  The three formats render it:
 * text 0.0.4 and OpenMetrics 1.0.0 (render_prom.c, through the core's
 * writer) and delimited protobuf (protobuf.c).
 */
#ifndef FLUSHLAT_EXPO_H
#define FLUSHLAT_EXPO_H

#include <stddef.h>
#include <stdint.h>

#include "prom.h"
#include "render.h"
#include "snapshot.h"

/* The wire formats of /metrics, in the order content negotiation prefers on ties. */
enum fl_expo_fmt {
	FL_EXPO_TEXT,        /* text/plain; version=0.0.4 */
	FL_EXPO_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
	FL_EXPO_PROTOBUF,    /* application/vnd.google.protobuf; ...MetricFamily; delimited */
	FL_EXPO_NR,
};

enum fl_mtype { FL_MT_COUNTER, FL_MT_GAUGE, FL_MT_HISTOGRAM };

/* One family as every format describes it. */
struct fl_family {
	const char *name; /* after "<prefix>_"; a counter's without its "_total" */
	enum fl_mtype type;
	const char *unit; /* "seconds" (a suffix of name) or NULL */
	const char *help;
};

enum fl_family_id {
	FL_F_DURATION,
	FL_F_MIN,
	FL_F_MAX,
	FL_F_WINDOW,
	FL_F_WINDOW_MIN,
	FL_F_WINDOW_MAX,
	FL_F_IN_FLIGHT,
	FL_F_OLDEST_AGE,
	FL_F_UNMATCHED,
	FL_F_DROPPED,
	FL_F_FAILED,
	FL_F_FAILED_ERRNO,
	FL_F_PROG_TIME,
	FL_F_PROG_COUNT,
	FL_F_PROC_COUNT,
	FL_F_PROC_SUM,
	FL_F_PROC_MAX,
	FL_F_SCRAPE,
	/* the flush anatomy (--breakdown, --syscalls, --slow, --stuck, --top) */
	FL_F_BD_FLUSHES,
	FL_F_BD_WALL,
	FL_F_BD_COMPONENT,
	FL_F_BD_SYSCALL_TIME,    /* {method,syscall}: see build_syscalls() */
	FL_F_BD_SYSCALL_COUNT,
	FL_F_BD_CROSS_THREAD,
	FL_F_BD_SLOW_COMPONENT,
	FL_F_SLOW,
	FL_F_SLOW_DROPPED,
	FL_F_STUCK,
	FL_F_TOP,
	FL_F_NR,
};

extern const struct fl_family fl_families[FL_F_NR];

/* One series' value: a count, or nanoseconds exported as seconds. */
struct fl_expo_metric {
	struct prom_label labels[4]; /* besides the common ones: program, errno, pid and comm, ... */
	int nlabels;
	char lv[4][40];              /* their values */
	uint64_t v;
	int ns;                      /* v is ns, shown in seconds */
};

struct fl_expo_family {
	size_t n;                    /* series; 0: the family is not exported */
	struct fl_expo_metric *m;
};

/* The flush-duration histogram: classic (fixed layout) and native. */
struct fl_expo_hist {
	uint64_t count, sum_ns;
	size_t nb;                   /* finite bounds */
	uint64_t *le_ns, *cum;       /* nb each, cumulative, exact */
	struct fl_exemplar *ex;      /* nb + 1 (the last for +Inf), or NULL */
	const struct fl_exemplar *slowest; /* the newest read's slowest of them, or NULL */
	const struct fl_native *native;    /* or NULL */
};

struct fl_expo {
	char prefix[128];
	struct prom_label common[1 + FL_MAX_LABEL_SET]; /* subsystem and --label-set */
	int ncommon;
	struct fl_expo_hist hist;
	struct fl_expo_family fam[FL_F_NR];
	int oom;
};

/* Builds the exposition of s (not with --compat).  0, or -1 when out of memory. */
int fl_expo_build(struct fl_expo *e, const struct fl_snapshot *s, const struct fl_render_opts *o);
void fl_expo_free(struct fl_expo *e);
/* "<prefix>_<family name>[suffix]" into buf. */
void fl_expo_name(const struct fl_expo *e, enum fl_family_id id, const char *suffix, char *buf,
		  size_t len);
/* ns as exact decimal seconds: 1500000 -> "0.0015", 2000000000 -> "2". */
void fl_seconds_str(char *buf, size_t len, uint64_t ns);

/* Renders s in format f (text with --compat whatever f is).  Sets out->oom on failure. */
void fl_render_expo(enum fl_expo_fmt f, const struct fl_snapshot *s, const struct fl_render_opts *o,
		    struct strbuf *out);
/* The renderers: OpenMetrics 1.0.0 text (render_prom.c), delimited protobuf (protobuf.c). */
void fl_render_openmetrics(const struct fl_snapshot *s, const struct fl_render_opts *o,
			   struct strbuf *out);
void fl_render_protobuf(const struct fl_snapshot *s, const struct fl_render_opts *o,
			struct strbuf *out);

#endif /* FLUSHLAT_EXPO_H */
