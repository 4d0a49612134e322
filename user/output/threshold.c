// SPDX-License-Identifier: MIT
/*
 * --fail-if expressions: "<metric><op><value>[unit]".
 *
 *   metric: a name of the metric table (metrics.c)
 *   op:     > >= < <= == !=
 *   value:  a non-negative decimal number; durations take an optional unit
 *           ns/us/ms/s (none means nanoseconds); counts and the rate
 *           (samples per second) take no unit.
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

#include "strbuf.h"
#include "threshold.h"

enum { OP_GT, OP_GE, OP_LT, OP_LE, OP_EQ, OP_NE };

static const char *const op_names[] = { ">", ">=", "<", "<=", "==", "!=" };

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static const struct fl_metric *parse_metric(const char **pp)
{
	const char *p = *pp;
	const struct fl_metric *m;
	size_t n = 0;

	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9') || p[n] == '_' ||
	       p[n] == '.')
		n++;
	m = fl_metric_find(p, n);
	if (m)
		*pp = p + n;
	return m;
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

double fl_duration_unit(const char *u, size_t n)
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

int fl_duration_parse(const char *s, uint64_t *ns)
{
	const char *p = s, *unit;
	char *end;
	double v, scale;

	if (!s || !*s)
		return -1;
	if (!strcmp(s, "0")) {
		*ns = 0;
		return 0;
	}
	while ((*p >= '0' && *p <= '9') || *p == '.')
		p++;
	if (p == s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (end != p || errno || !isfinite(v))
		return -1;
	unit = p;
	scale = fl_duration_unit(unit, strlen(unit));
	if (scale == 0.0 || v * scale > 1e18)
		return -1;
	*ns = (uint64_t)llround(v * scale);
	return 0;
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
		snprintf(err, errlen, "'': empty expression");
		return -1;
	}
	if (strnlen(expr, sizeof(t->text)) >= sizeof(t->text)) {
		snprintf(err, errlen, "expression too long (max %zu bytes)", sizeof(t->text) - 1);
		return -1;
	}
	strcpy(t->text, expr);

	p = skip_ws(t->text);
	t->metric = parse_metric(&p);
	if (!t->metric) {
		struct strbuf names;

		strbuf_init(&names);
		fl_metric_names(&names, ", ");
		snprintf(err, errlen, "'%s': unknown metric (expected one of %s)", t->text,
			 strbuf_str(&names));
		strbuf_free(&names);
		return -1;
	}
	p = skip_ws(p);
	t->op = parse_op(&p);
	if (t->op < 0) {
		snprintf(err, errlen, "'%s': expected an operator (>, >=, <, <=, ==, !=) after '%s'",
			 t->text, t->metric->name);
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
		scale = fl_duration_unit(unit, ulen);
		if (scale == 0.0) {
			snprintf(err, errlen, "'%s': unknown unit '%.*s' (expected ns, us, ms or s)",
				 t->text, (int)ulen, unit);
			return -1;
		}
		if (t->metric->unit != FL_UNIT_NS) {
			snprintf(err, errlen, "'%s': '%s' is not a duration, it takes no unit", t->text,
				 t->metric->name);
			return -1;
		}
	}
	t->value = v * scale;
	return 0;
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
	return t->metric && t->op >= OP_GT && t->op <= OP_NE;
}

static const char *unit_suffix(const struct fl_metric *m)
{
	return m->unit == FL_UNIT_NS ? " ns" : m->unit == FL_UNIT_PER_SEC ? "/s" : "";
}

static int unknown(const struct fl_threshold *t, const struct fl_snapshot *s, char *why,
		   size_t len)
{
	const char *r = fl_metric_unknown_why(t->metric, s);

	snprintf(why, len, "--fail-if %s: %s is unknown (%s)", t->text, t->metric->name,
		 r ? r : "not measured");
	return -1;
}

int fl_threshold_eval(const struct fl_threshold *t, const struct fl_snapshot *s, char *why,
		      size_t len)
{
	struct fl_value v;

	if (!valid(t) || t->relative) /* relative needs a base: only meaningful for diff */
		return 0;
	v = fl_metric_value(t->metric, s);
	if (!v.known)
		return unknown(t, s, why, len);
	if (!compare(t->op, v.d, t->value))
		return 0;
	if (t->metric->unit == FL_UNIT_PER_SEC)
		snprintf(why, len, "--fail-if %s holds: %s = %.17g/s", t->text, t->metric->name, v.d);
	else
		snprintf(why, len, "--fail-if %s holds: %s = %llu%s", t->text, t->metric->name,
			 (unsigned long long)v.u, unit_suffix(t->metric));
	return 1;
}

int fl_threshold_eval_diff(const struct fl_threshold *t, const struct fl_snapshot *base,
			   const struct fl_snapshot *now, char *why, size_t len)
{
	struct fl_value b, n;
	double pct;

	if (!valid(t))
		return 0;
	if (!t->relative)
		return fl_threshold_eval(t, now, why, len);
	b = fl_metric_value(t->metric, base);
	n = fl_metric_value(t->metric, now);
	if (!b.known || !n.known)
		return unknown(t, b.known ? now : base, why, len);
	if (b.d == 0.0) /* a change from 0 is infinite unless there is none */
		pct = n.d == 0.0 ? 0.0 : INFINITY;
	else
		pct = (n.d - b.d) / b.d * 100.0;
	if (!compare(t->op, pct, t->value))
		return 0;
	snprintf(why, len, "--fail-if %s holds: %s %.17g -> %.17g (%+.2f%%)", t->text,
		 t->metric->name, b.d, n.d, pct);
	return 1;
}
