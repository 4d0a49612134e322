// SPDX-License-Identifier: MIT
/*
 * --fail-if expressions: "<metric><op><value>[unit]".
 *
 *   metric: samples total min max avg jitter p50 p90 p99 p99.9 in_flight
 *           unmatched dropped rate
 *   op:     > >= < <= == !=
 *   value:  a non-negative decimal number; durations (total min max avg
 *           jitter pNN and the in-flight age is not a metric) take an
 *           optional unit ns/us/ms/s, no unit means nanoseconds; counts and
 *           rate (samples per second) take no unit.
 *   relative (diff only): "+20%" / "-5%" compares the relative change
 *           (new - base) / base * 100 with the given percentage.
 *
 * Whitespace around tokens is allowed.  Parsing is bounded (input longer
 * than 63 bytes is rejected) and never reads past the terminating NUL.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "percentile.h"
#include "threshold.h"

enum { M_SAMPLES, M_TOTAL, M_MIN, M_MAX, M_AVG, M_JITTER, M_P50, M_P90, M_P99, M_P999,
       M_IN_FLIGHT, M_UNMATCHED, M_DROPPED, M_RATE, M_NR };
enum { OP_GT, OP_GE, OP_LT, OP_LE, OP_EQ, OP_NE };

static const struct {
	const char *name;
	int duration; /* accepts a time unit */
} metrics[M_NR] = {
	[M_SAMPLES] = { "samples", 0 },	 [M_TOTAL] = { "total", 1 },
	[M_MIN] = { "min", 1 },		 [M_MAX] = { "max", 1 },
	[M_AVG] = { "avg", 1 },		 [M_JITTER] = { "jitter", 1 },
	[M_P50] = { "p50", 1 },		 [M_P90] = { "p90", 1 },
	[M_P99] = { "p99", 1 },		 [M_P999] = { "p99.9", 1 },
	[M_IN_FLIGHT] = { "in_flight", 0 }, [M_UNMATCHED] = { "unmatched", 0 },
	[M_DROPPED] = { "dropped", 0 },	 [M_RATE] = { "rate", 0 },
};

static const char *const op_names[] = { ">", ">=", "<", "<=", "==", "!=" };

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static int parse_metric(const char **pp)
{
	const char *p = *pp;
	size_t n = 0;
	int i;

	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9') || p[n] == '_' ||
	       p[n] == '.')
		n++;
	for (i = 0; i < M_NR; i++) {
		if (strlen(metrics[i].name) == n && !strncmp(p, metrics[i].name, n)) {
			*pp = p + n;
			return i;
		}
	}
	return -1;
}

static int parse_op(const char **pp)
{
	const char *p = *pp;
	int op = -1, len = 1;

	if (p[0] == '>')
		op = p[1] == '=' ? (len = 2, OP_GE) : OP_GT;
	else if (p[0] == '<')
		op = p[1] == '=' ? (len = 2, OP_LE) : OP_LT;
	else if (p[0] == '=' && p[1] == '=')
		op = OP_EQ, len = 2;
	else if (p[0] == '!' && p[1] == '=')
		op = OP_NE, len = 2;
	if (op >= 0)
		*pp = p + len;
	return op;
}

/* Multiplier to ns for a unit suffix of length n, 0 when unknown. */
static double unit_scale(const char *u, size_t n)
{
	if (n == 2 && !strncmp(u, "ns", 2))
		return 1.0;
	if (n == 2 && !strncmp(u, "us", 2))
		return 1e3;
	if (n == 2 && !strncmp(u, "ms", 2))
		return 1e6;
	if (n == 1 && u[0] == 's')
		return 1e9;
	return 0.0;
}

int fl_threshold_parse(const char *expr, struct fl_threshold *t, char *err, size_t errlen)
{
	const char *p, *num, *unit;
	char *end;
	size_t ulen;
	double v, scale = 1.0;
	int sign = 0;

	memset(t, 0, sizeof(*t));
	if (!expr || !*expr) {
		snprintf(err, errlen, "empty --fail-if expression");
		return -1;
	}
	if (strnlen(expr, sizeof(t->text)) >= sizeof(t->text)) {
		snprintf(err, errlen, "--fail-if expression too long (max %zu bytes)", sizeof(t->text) - 1);
		return -1;
	}
	strcpy(t->text, expr);

	p = skip_ws(t->text);
	t->metric = parse_metric(&p);
	if (t->metric < 0) {
		snprintf(err, errlen,
			 "'%s': unknown metric (expected samples, total, min, max, avg, jitter, "
			 "p50, p90, p99, p99.9, in_flight, unmatched, dropped or rate)", t->text);
		return -1;
	}
	p = skip_ws(p);
	t->op = parse_op(&p);
	if (t->op < 0) {
		snprintf(err, errlen, "'%s': expected an operator (>, >=, <, <=, ==, !=) after '%s'",
			 t->text, metrics[t->metric].name);
		return -1;
	}
	p = skip_ws(p);
	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	num = p;
	if (!((*p >= '0' && *p <= '9') || *p == '.')) {
		snprintf(err, errlen, "'%s': expected a number after '%s'", t->text, op_names[t->op]);
		return -1;
	}
	/* Only plain decimals: strtod would also take hex, inf and nan. */
	while ((*p >= '0' && *p <= '9') || *p == '.')
		p++;
	errno = 0;
	v = strtod(num, &end);
	if (end != p || errno || !isfinite(v)) {
		snprintf(err, errlen, "'%s': invalid number '%s' (plain decimal expected)", t->text, num);
		return -1;
	}
	unit = p;
	while ((*p >= 'a' && *p <= 'z') || *p == '%')
		p++;
	ulen = (size_t)(p - unit);
	if (skip_ws(p)[0] != '\0') {
		snprintf(err, errlen, "'%s': unexpected '%s' after the value", t->text, skip_ws(p));
		return -1;
	}
	if (ulen == 1 && unit[0] == '%') {
		if (!sign) {
			snprintf(err, errlen, "'%s': a relative threshold needs a sign, e.g. +20%%", t->text);
			return -1;
		}
		t->relative = 1;
		t->value = sign * v;
		return 0;
	}
	if (sign) {
		snprintf(err, errlen, "'%s': a signed value is only valid as a percentage, e.g. +20%%",
			 t->text);
		return -1;
	}
	if (ulen) {
		scale = unit_scale(unit, ulen);
		if (scale == 0.0) {
			snprintf(err, errlen, "'%s': unknown unit '%.*s' (expected ns, us, ms or s)",
				 t->text, (int)ulen, unit);
			return -1;
		}
		if (!metrics[t->metric].duration) {
			snprintf(err, errlen, "'%s': '%s' is a count, it takes no unit", t->text,
				 metrics[t->metric].name);
			return -1;
		}
	}
	t->value = v * scale;
	return 0;
}

int fl_threshold_needs_start(const struct fl_threshold *t)
{
	return t->metric == M_IN_FLIGHT || t->metric == M_UNMATCHED;
}

/* The metric's value on s, as a double (durations in ns). */
static double metric_value(int m, const struct fl_snapshot *s)
{
	const struct duration64 *d = &s->ms.maintenance_meta_flush;
	uint64_t n = d->samples.value, tot = d->total_ns.value;
	uint64_t mn = d->min_ns.value, mx = d->max_ns.value;
	uint64_t avg = n ? tot / n : 0;

	switch (m) {
	case M_SAMPLES: return (double)n;
	case M_TOTAL: return (double)tot;
	case M_MIN: return n ? (double)mn : 0.0; /* no samples: 0, not UINT64_MAX */
	case M_MAX: return (double)mx;
	case M_AVG: return n ? (double)avg : 0.0; /* integer ns, as the original */
	case M_JITTER: return n >= 2 ? (double)(mx - mn) : 0.0;
	case M_P50: return (double)fl_hist_percentile(s->hist, 0.50, mn, mx);
	case M_P90: return (double)fl_hist_percentile(s->hist, 0.90, mn, mx);
	case M_P99: return (double)fl_hist_percentile(s->hist, 0.99, mn, mx);
	case M_P999: return (double)fl_hist_percentile(s->hist, 0.999, mn, mx);
	case M_IN_FLIGHT: return (double)s->in_flight;
	case M_UNMATCHED: return (double)s->unmatched;
	case M_DROPPED: return (double)s->dropped;
	case M_RATE: return (n && tot) ? (double)n * 1e9 / (double)tot : 0.0;
	}
	return 0.0;
}

static int compare(int op, double a, double b)
{
	switch (op) {
	case OP_GT: return a > b;
	case OP_GE: return a >= b;
	case OP_LT: return a < b;
	case OP_LE: return a <= b;
	case OP_EQ: return a == b;
	case OP_NE: return a != b;
	}
	return 0;
}

static int valid(const struct fl_threshold *t)
{
	return t->metric >= 0 && t->metric < M_NR && t->op >= OP_GT && t->op <= OP_NE;
}

int fl_threshold_eval(const struct fl_threshold *t, const struct fl_snapshot *s, char *why, size_t len)
{
	double v;

	if (!valid(t) || t->relative) /* relative needs a base: only meaningful for diff */
		return 0;
	v = metric_value(t->metric, s);
	if (!compare(t->op, v, t->value))
		return 0;
	snprintf(why, len, "--fail-if %s holds: %s = %.17g%s", t->text, metrics[t->metric].name, v,
		 metrics[t->metric].duration ? " ns" : "");
	return 1;
}

int fl_threshold_eval_diff(const struct fl_threshold *t, const struct fl_snapshot *base,
			   const struct fl_snapshot *now, char *why, size_t len)
{
	double b, n, pct;

	if (!valid(t))
		return 0;
	if (!t->relative)
		return fl_threshold_eval(t, now, why, len);
	b = metric_value(t->metric, base);
	n = metric_value(t->metric, now);
	if (b == 0.0) /* a change from 0 is infinite unless there is none */
		pct = n == 0.0 ? 0.0 : INFINITY;
	else
		pct = (n - b) / b * 100.0;
	if (!compare(t->op, pct, t->value))
		return 0;
	snprintf(why, len, "--fail-if %s holds: %s %.17g -> %.17g (%+.2f%%)", t->text,
		 metrics[t->metric].name, b, n, pct);
	return 1;
}
