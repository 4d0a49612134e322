// SPDX-License-Identifier: MIT
/* metrics.c - the metric table and how each metric is read off a snapshot. */
#include "metrics.h"

#include <string.h>

#include "breakdown.h"
#include "metastore.h"
#include "percentile.h"

static struct fl_value known(uint64_t v)
{
	return (struct fl_value){ .known = 1, .u = v, .d = (double)v };
}

static const struct duration64 *flush(const struct fl_snapshot *s)
{
	return &s->ms.maintenance_meta_flush;
}

static struct fl_value get_samples(const struct fl_metric *m, const struct fl_snapshot *s)
{
	(void)m;
	return known(flush(s)->samples.value);
}

static struct fl_value get_total(const struct fl_metric *m, const struct fl_snapshot *s)
{
	(void)m;
	return known(flush(s)->total_ns.value);
}

/* No samples: 0, not the MetaStore's empty marker UINT64_MAX. */
static struct fl_value get_min(const struct fl_metric *m, const struct fl_snapshot *s)
{
	(void)m;
	return known(flush(s)->samples.value ? flush(s)->min_ns.value : 0);
}

static struct fl_value get_max(const struct fl_metric *m, const struct fl_snapshot *s)
{
	(void)m;
	return known(flush(s)->max_ns.value);
}

static struct fl_value get_avg(const struct fl_metric *m, const struct fl_snapshot *s)
{
	(void)m;
	return known(duration64_avg_ns(flush(s)));
}

static struct fl_value get_jitter(const struct fl_metric *m, const struct fl_snapshot *s)
{
	(void)m;
	return known(duration64_jitter_ns(flush(s)));
}

static struct fl_value get_rate(const struct fl_metric *m, const struct fl_snapshot *s)
{
	double r = duration64_rate_per_sec(flush(s));

	(void)m;
	return (struct fl_value){ .known = 1, .u = (uint64_t)r, .d = r };
}

static struct fl_value get_quantile(const struct fl_metric *m, const struct fl_snapshot *s)
{
	const struct duration64 *d = flush(s);

	return known(fl_hist_percentile(s->hist, m->q, d->min_ns.value, d->max_ns.value));
}

static struct fl_value get_in_flight(const struct fl_metric *m, const struct fl_snapshot *s)
{
	(void)m;
	return known(s->in_flight);
}

static struct fl_value get_unmatched(const struct fl_metric *m, const struct fl_snapshot *s)
{
	(void)m;
	return known(s->unmatched);
}

static struct fl_value get_dropped(const struct fl_metric *m, const struct fl_snapshot *s)
{
	(void)m;
	return known(s->dropped);
}

static struct fl_value get_failed(const struct fl_metric *m, const struct fl_snapshot *s)
{
	(void)m;
	return known(fl_failed_total(s));
}

static const struct fl_breakdown *bd(const struct fl_snapshot *s)
{
	return s->an ? s->an->bd : NULL;
}

static struct fl_value get_comp_total(const struct fl_metric *m, const struct fl_snapshot *s)
{
	return bd(s) ? known(bd(s)->all.s.comp_ns[m->comp]) : (struct fl_value){ 0 };
}

static struct fl_value get_comp_max(const struct fl_metric *m, const struct fl_snapshot *s)
{
	return bd(s) ? known(bd(s)->all.s.comp_max[m->comp]) : (struct fl_value){ 0 };
}

static struct fl_value get_comp_quantile(const struct fl_metric *m, const struct fl_snapshot *s)
{
	return bd(s) ? known(fl_bd_percentile(&bd(s)->all, m->comp, m->q)) : (struct fl_value){ 0 };
}

static struct fl_value get_slow_flushes(const struct fl_metric *m, const struct fl_snapshot *s)
{
	(void)m;
	return s->an && s->an->slow_on ? known(s->an->slow_flushes) : (struct fl_value){ 0 };
}

static struct fl_value get_slow_dropped(const struct fl_metric *m, const struct fl_snapshot *s)
{
	(void)m;
	return s->an && s->an->slow_on ? known(s->an->slow_dropped) : (struct fl_value){ 0 };
}

static struct fl_value get_stuck(const struct fl_metric *m, const struct fl_snapshot *s)
{
	(void)m;
	return s->an && s->an->stuck_on ? known(s->an->stuck) : (struct fl_value){ 0 };
}

#define BD FL_MF_BREAKDOWN
/* The six metrics of a component: COMP.total, .p50, .p90, .p99, .p99.9, .max. */
#define COMP_ROWS(c, n)                                                                            \
	{ n ".total", NULL, FL_UNIT_NS, 0, BD | FL_MF_DIFF, get_comp_total, c },                  \
	{ n ".p50", NULL, FL_UNIT_NS, 0.50, BD, get_comp_quantile, c },                           \
	{ n ".p90", NULL, FL_UNIT_NS, 0.90, BD, get_comp_quantile, c },                           \
	{ n ".p99", NULL, FL_UNIT_NS, 0.99, BD | FL_MF_DIFF, get_comp_quantile, c },              \
	{ n ".p99.9", NULL, FL_UNIT_NS, 0.999, BD, get_comp_quantile, c },                        \
	{ n ".max", NULL, FL_UNIT_NS, 0, BD, get_comp_max, c }

/* Table order is the order of every list shown to users (help, errors, diff). */
const struct fl_metric fl_metrics[] = {
	{ "samples", NULL, FL_UNIT_COUNT, 0, FL_MF_DIFF, get_samples, 0 },
	{ "total", NULL, FL_UNIT_NS, 0, 0, get_total, 0 },
	{ "min", NULL, FL_UNIT_NS, 0, 0, get_min, 0 },
	{ "avg", NULL, FL_UNIT_NS, 0, FL_MF_DIFF, get_avg, 0 },
	{ "p50", "p50_ns", FL_UNIT_NS, 0.50, FL_MF_DIFF, get_quantile, 0 },
	{ "p90", "p90_ns", FL_UNIT_NS, 0.90, FL_MF_DIFF, get_quantile, 0 },
	{ "p99", "p99_ns", FL_UNIT_NS, 0.99, FL_MF_DIFF, get_quantile, 0 },
	{ "p99.9", "p99_9_ns", FL_UNIT_NS, 0.999, FL_MF_DIFF, get_quantile, 0 },
	{ "max", NULL, FL_UNIT_NS, 0, FL_MF_DIFF, get_max, 0 },
	{ "jitter", NULL, FL_UNIT_NS, 0, 0, get_jitter, 0 },
	{ "rate", NULL, FL_UNIT_PER_SEC, 0, 0, get_rate, 0 },
	{ "in_flight", NULL, FL_UNIT_COUNT, 0, FL_MF_START, get_in_flight, 0 },
	{ "unmatched", NULL, FL_UNIT_COUNT, 0, FL_MF_START, get_unmatched, 0 },
	{ "dropped", NULL, FL_UNIT_COUNT, 0, 0, get_dropped, 0 },
	{ "failed", NULL, FL_UNIT_COUNT, 0, FL_MF_DIFF | FL_MF_FAILED, get_failed, 0 },
	{ "slow_flushes", NULL, FL_UNIT_COUNT, 0, FL_MF_SLOW, get_slow_flushes, 0 },
	{ "slow_dropped", NULL, FL_UNIT_COUNT, 0, FL_MF_SLOW, get_slow_dropped, 0 },
	{ "stuck", NULL, FL_UNIT_COUNT, 0, FL_MF_STUCK, get_stuck, 0 },
	COMP_ROWS(FL_COMP_ON_CPU, "on_cpu"),
	COMP_ROWS(FL_COMP_RUNQ, "runq"),
	COMP_ROWS(FL_COMP_IO, "io"),
	COMP_ROWS(FL_COMP_SLEEP, "sleep"),
};
const size_t fl_nmetrics = sizeof(fl_metrics) / sizeof(fl_metrics[0]);

const struct fl_metric *fl_metric_find(const char *name, size_t len)
{
	const struct fl_metric *m;

	fl_for_each_metric(m)
		if (strlen(m->name) == len && !strncmp(name, m->name, len))
			return m;
	return NULL;
}

struct fl_value fl_metric_value(const struct fl_metric *m, const struct fl_snapshot *s)
{
	/* --lean traces no starts: what needs them is unknown, never a false 0 */
	if ((m->flags & FL_MF_START) && s->lean)
		return (struct fl_value){ 0 };
	/* a recorder built before the failed probe existed: its failures are not seen */
	if ((m->flags & FL_MF_FAILED) && !s->failed_known)
		return (struct fl_value){ 0 };
	return m->get(m, s);
}

const char *fl_metric_needs(const struct fl_metric *m)
{
	if (m->flags & FL_MF_START)
		return "not measured with --lean";
	if (m->flags & FL_MF_BREAKDOWN)
		return "measured only with --breakdown";
	if (m->flags & FL_MF_SLOW)
		return "measured only with --slow";
	if (m->flags & FL_MF_STUCK)
		return "measured only with --stuck";
	return "";
}

const char *fl_metric_unknown_why(const struct fl_metric *m, const struct fl_snapshot *s)
{
	if (fl_metric_value(m, s).known)
		return NULL;
	if ((m->flags & FL_MF_FAILED) && !s->failed_known)
		return "no flashstrike:meta_flush_failed probe";
	return *fl_metric_needs(m) ? fl_metric_needs(m) : "not measured";
}

void fl_metric_names(struct strbuf *out, const char *sep)
{
	const struct fl_metric *m;

	fl_for_each_metric(m) {
		if (m->flags & FL_MF_BREAKDOWN)
			continue;
		if (m != fl_metrics)
			strbuf_puts(out, sep);
		strbuf_puts(out, m->name);
	}
	strbuf_printf(out, "%sCOMP.STAT (COMP: on_cpu runq io sleep; STAT: total p50 p90 p99 p99.9 "
			   "max)", sep);
}
