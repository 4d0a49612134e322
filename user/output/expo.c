// SPDX-License-Identifier: MIT
/*
 * expo.c - the families flushlat exports, described once, and the values of
 * one scrape (see expo.h).  Seconds are exact decimals of the integer
 * nanoseconds in the text formats; protobuf carries doubles.
 */
#include "expo.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "breakdown.h"
#include "buckets.h"
#include "metastore.h"

const struct fl_family fl_families[FL_F_NR] = {
	[FL_F_DURATION] = { "meta_flush_duration_seconds", FL_MT_HISTOGRAM, "seconds",
			    "Duration of WAL metadata flushes (MetaStore maintenance_meta_flush): "
			    "fixed classic buckets (--buckets), exact; _sum and _count from the "
			    "MetaStore." },
	[FL_F_MIN] = { "meta_flush_min_seconds", FL_MT_GAUGE, "seconds",
		       "Shortest meta flush observed (MetaStore min_ns)." },
	[FL_F_MAX] = { "meta_flush_max_seconds", FL_MT_GAUGE, "seconds",
		       "Longest meta flush observed (MetaStore max_ns)." },
	[FL_F_WINDOW] = { "meta_flush_window_seconds", FL_MT_GAUGE, "seconds",
			  "Span covered by the window gauges: from the start of the oldest epoch "
			  "in the --window to this scrape." },
	[FL_F_WINDOW_MIN] = { "meta_flush_window_min_seconds", FL_MT_GAUGE, "seconds",
			      "Shortest meta flush in the recent window (exact; absent when the "
			      "window saw no flush)." },
	[FL_F_WINDOW_MAX] = { "meta_flush_window_max_seconds", FL_MT_GAUGE, "seconds",
			      "Longest meta flush in the recent window (exact; absent when the "
			      "window saw no flush)." },
	[FL_F_IN_FLIGHT] = { "meta_flush_in_flight", FL_MT_GAUGE, NULL,
			     "Meta flushes started and not yet completed." },
	[FL_F_OLDEST_AGE] = { "meta_flush_oldest_in_flight_age_seconds", FL_MT_GAUGE, "seconds",
			      "Age of the oldest meta flush still in flight (0 when none)." },
	[FL_F_UNMATCHED] = { "meta_flush_unmatched", FL_MT_COUNTER, NULL,
			     "Meta flush completions whose start was not seen (e.g. attached "
			     "mid-flush)." },
	[FL_F_DROPPED] = { "meta_flush_dropped", FL_MT_COUNTER, NULL,
			   "Events not tracked because an in-flight or per-process map was full." },
	[FL_F_FAILED] = { "meta_flush_failed", FL_MT_COUNTER, NULL,
			  "Meta flushes that failed (flashstrike:meta_flush_failed); never recorded "
			  "in the MetaStore." },
	[FL_F_FAILED_ERRNO] = { "meta_flush_failed_by_errno", FL_MT_COUNTER, NULL,
				"Failed meta flushes by the errno of the failing step (\"other\": not "
				"an errno)." },
	[FL_F_PROG_TIME] = { "bpf_program_run_time_seconds", FL_MT_COUNTER, "seconds",
			     "CPU time spent in flushlat's BPF programs (kernel program stats, "
			     "needs kernel.bpf_stats_enabled=1)." },
	[FL_F_PROG_COUNT] = { "bpf_program_run_count", FL_MT_COUNTER, NULL,
			      "Runs of flushlat's BPF programs, i.e. probe events seen (kernel "
			      "program stats)." },
	[FL_F_PROC_COUNT] = { "process_meta_flush_count", FL_MT_COUNTER, NULL,
			      "Meta flushes completed, per traced process." },
	[FL_F_PROC_SUM] = { "process_meta_flush_duration_seconds", FL_MT_COUNTER, "seconds",
			    "Total meta flush time, per traced process." },
	[FL_F_PROC_MAX] = { "process_meta_flush_max_seconds", FL_MT_GAUGE, "seconds",
			    "Longest meta flush, per traced process." },
	[FL_F_SCRAPE] = { "scrape_duration_seconds", FL_MT_GAUGE, "seconds",
			  "Time flushlat took to read and merge its BPF maps and render the "
			  "previous scrape." },
	[FL_F_BD_FLUSHES] = { "breakdown_flushes", FL_MT_COUNTER, NULL,
			      "Meta flushes with a breakdown (--breakdown)." },
	[FL_F_BD_WALL] = { "breakdown_wall_seconds", FL_MT_COUNTER, "seconds",
			   "Their wall time between the probes (kernel clock): the sum of the "
			   "components." },
	[FL_F_BD_COMPONENT] = { "component_seconds", FL_MT_COUNTER, "seconds",
				"Meta flush time by component: on_cpu, runq (runnable, waiting for "
				"a CPU), io (blocked on I/O), sleep (blocked otherwise)." },
	[FL_F_BD_SYSCALL_TIME] = { "syscall_seconds", FL_MT_COUNTER, "seconds",
				   "Meta flush time by system call. Method hooks (--syscalls): time "
				   "inside each call; method switch-out: off-CPU time charged to the "
				   "call in progress at each switch-out (syscall none: outside any "
				   "call)." },
	[FL_F_BD_SYSCALL_COUNT] = { "syscall_count", FL_MT_COUNTER, NULL,
				    "Method hooks (--syscalls): system calls made during meta flushes; "
				    "method switch-out: blocking switch-outs during them, by the call "
				    "in progress." },
	[FL_F_BD_CROSS_THREAD] = { "breakdown_cross_thread", FL_MT_COUNTER, NULL,
				   "Meta flushes completed on another thread than the one that "
				   "started them." },
	[FL_F_BD_SLOW_COMPONENT] = { "slow_component_seconds", FL_MT_COUNTER, "seconds",
				     "Time by component of the meta flushes at or over --slow." },
	[FL_F_SLOW] = { "slow_flushes", FL_MT_COUNTER, NULL, "Meta flushes at or over --slow." },
	[FL_F_SLOW_DROPPED] = { "slow_records_dropped", FL_MT_COUNTER, NULL,
				"Slow-flush records that could not be delivered (ring buffer "
				"full)." },
	[FL_F_STUCK] = { "stuck_flushes", FL_MT_GAUGE, NULL,
			 "Meta flushes in flight for at least --stuck." },
	[FL_F_TOP] = { "top_flush_duration_seconds", FL_MT_GAUGE, "seconds",
		       "The slowest meta flushes of the run (--top N), rank 1 the slowest." },
};

void fl_seconds_str(char *buf, size_t len, uint64_t ns)
{
	uint64_t frac = ns % 1000000000ULL;
	char out[PROM_U64_LEN + 12];
	size_t n = prom_format_u64(out, ns / 1000000000ULL);
	int d = 9;

	if (frac) { /* ".nnnnnnnnn" without trailing zeros */
		while (frac % 10 == 0) {
			frac /= 10;
			d--;
		}
		out[n++] = '.';
		for (int i = d - 1; i >= 0; i--, frac /= 10)
			out[n + (size_t)i] = (char)('0' + frac % 10);
		n += (size_t)d;
		out[n] = '\0';
	}
	snprintf(buf, len, "%s", out);
}

void fl_expo_name(const struct fl_expo *e, enum fl_family_id id, const char *suffix, char *buf,
		  size_t len)
{
	snprintf(buf, len, "%s_%s%s", e->prefix, fl_families[id].name, suffix ? suffix : "");
}

/* Allocates n series of family id (none when n == 0). */
static struct fl_expo_metric *family(struct fl_expo *e, enum fl_family_id id, size_t n)
{
	struct fl_expo_family *f = &e->fam[id];

	if (!n)
		return NULL;
	f->m = calloc(n, sizeof(*f->m));
	if (!f->m) {
		e->oom = 1;
		return NULL;
	}
	f->n = n;
	return f->m;
}

/* A family of one unlabelled series. */
static void single(struct fl_expo *e, enum fl_family_id id, uint64_t v, int ns)
{
	struct fl_expo_metric *m = family(e, id, 1);

	if (m) {
		m->v = v;
		m->ns = ns;
	}
}

static void label(struct fl_expo_metric *m, const char *key, const char *value)
{
	int i = m->nlabels++;

	snprintf(m->lv[i], sizeof(m->lv[i]), "%s", value);
	m->labels[i].key = key;
	m->labels[i].value = m->lv[i];
}

/*
 * The classic buckets count the log-linear histogram at fixed bounds
 * (exact).  _count and _sum are the MetaStore's.  Read from one quiesced
 * epoch slot they agree exactly; without epoch rotation the two maps are
 * read one after the other, so a flush landing in between can make the
 * histogram run ahead: cumulative counts are clamped to _count to stay
 * monotonic and end at +Inf == _count.
 */
static void build_hist(struct fl_expo *e, const struct fl_snapshot *s, const struct fl_buckets *b)
{
	struct fl_expo_hist *h = &e->hist;
	const struct duration64 *d = &s->ms.maintenance_meta_flush;

	h->count = d->samples.value;
	h->sum_ns = d->total_ns.value;
	h->native = s->native;
	h->nb = fl_buckets_count(b);
	h->le_ns = calloc(h->nb, sizeof(*h->le_ns));
	h->cum = calloc(h->nb, sizeof(*h->cum));
	if (!h->le_ns || !h->cum) {
		e->oom = 1;
		return;
	}
	fl_buckets_cumulative(b, s->hist, h->cum);
	for (size_t j = 0; j < h->nb; j++) {
		h->le_ns[j] = fl_buckets_le_ns(b, j);
		if (h->cum[j] > h->count)
			h->cum[j] = h->count;
	}
	if (!s->ex)
		return;
	h->ex = calloc(h->nb + 1, sizeof(*h->ex));
	if (!h->ex) {
		e->oom = 1;
		return;
	}
	fl_buckets_exemplars(b, s->ex, h->ex);
	for (size_t j = 0; j <= h->nb; j++)
		if (h->ex[j].value_ns && (!h->slowest || fl_exemplar_better(&h->ex[j], h->slowest)))
			h->slowest = &h->ex[j];
}

/*
 * Failed flushes: the total is always exported (from 0, so that increase()
 * sees the first failure), the per-errno counter only for errnos seen, so
 * its errno label is bounded by FL_FAILED_ERRNOS names.  Nothing when the
 * traced files have no meta_flush_failed probe: unknown, not 0.
 */
static void build_failed(struct fl_expo *e, const struct fl_snapshot *s)
{
	struct fl_expo_metric *m;
	size_t n = 0, k = 0;

	if (!s->failed_known)
		return;
	single(e, FL_F_FAILED, fl_failed_total(s), 0);
	for (unsigned int i = 0; i < FL_FAILED_ERRNOS; i++)
		n += s->failed[i] != 0;
	m = family(e, FL_F_FAILED_ERRNO, n);
	for (unsigned int i = 1; m && i <= FL_FAILED_ERRNOS; i++) {
		unsigned int slot = i % FL_FAILED_ERRNOS; /* by errno number, "other" last */

		if (!s->failed[slot])
			continue;
		label(&m[k], "errno", fl_errno_name(slot));
		m[k++].v = s->failed[slot];
	}
}

static void build_progs(struct fl_expo *e, const struct fl_snapshot *s)
{
	size_t n = s->nprogs > 0 ? (size_t)(s->nprogs < FL_MAX_PROGS ? s->nprogs : FL_MAX_PROGS) : 0;
	struct fl_expo_metric *t = family(e, FL_F_PROG_TIME, n), *c = family(e, FL_F_PROG_COUNT, n);
	char name[sizeof(s->progs[0].name) + 1];

	for (size_t i = 0; t && c && i < n; i++) {
		snprintf(name, sizeof(name), "%.*s", (int)sizeof(s->progs[i].name), s->progs[i].name);
		label(&t[i], "program", name);
		t[i].v = s->progs[i].run_time_ns;
		t[i].ns = 1;
		label(&c[i], "program", name);
		c[i].v = s->progs[i].run_cnt;
	}
}

static void build_procs(struct fl_expo *e, const struct fl_snapshot *s)
{
	size_t n = s->nprocs > 1 ? s->nprocs : 0; /* one process: the MetaStore is its own */
	struct fl_expo_metric *m[3] = { family(e, FL_F_PROC_COUNT, n), family(e, FL_F_PROC_SUM, n),
					family(e, FL_F_PROC_MAX, n) };
	char pid[16], comm[FL_COMM_LEN + 1];

	for (size_t i = 0; m[0] && m[1] && m[2] && i < n; i++) {
		const struct duration64 *d = &s->procs[i].ms.maintenance_meta_flush;

		snprintf(pid, sizeof(pid), "%u", s->procs[i].pid);
		fl_comm_str(s->procs[i].comm, comm);
		for (int k = 0; k < 3; k++) {
			label(&m[k][i], "pid", pid);
			label(&m[k][i], "comm", comm);
			m[k][i].ns = k > 0;
		}
		m[0][i].v = d->samples.value;
		m[1][i].v = d->total_ns.value;
		m[2][i].v = d->max_ns.value;
	}
}

/* ---- the flush anatomy ---- */

/* One series per component of sums (component="on_cpu", ...). */
static void build_components(struct fl_expo *e, enum fl_family_id id, const struct fl_bd_sums *s)
{
	struct fl_expo_metric *m = family(e, id, FL_COMP_NR);

	for (int c = 0; m && c < FL_COMP_NR; c++) {
		label(&m[c], "component", fl_comp_names[c]);
		m[c].v = s->comp_ns[c];
		m[c].ns = 1;
	}
}

/*
 * Two methods measure different quantities: with --syscalls every call is
 * timed (time inside it, calls made); without, the off-CPU time is charged
 * to the call in progress at each blocking switch-out (switch-outs
 * counted).  The method label keeps them apart, so a fleet that mixes the
 * two never adds one to the other by accident.
 */
static void build_syscalls(struct fl_expo *e, const struct fl_breakdown *b)
{
	const struct fl_bd_sums *s = &b->all.s;
	int hooks = b->method == FL_SYSM_HOOKS;
	size_t n = hooks ? FL_SYS_NR - 1 : FL_SYS_NR; /* "none" only for the switch view */
	const char *method = fl_sys_method_names[b->method];
	struct fl_expo_metric *t = family(e, FL_F_BD_SYSCALL_TIME, n);
	struct fl_expo_metric *c = family(e, FL_F_BD_SYSCALL_COUNT, n);
	size_t j = 0;

	for (int i = 0; t && c && i < FL_SYS_NR; i++) {
		if (hooks && i == FL_SYS_NONE)
			continue;
		label(&t[j], "method", method);
		label(&t[j], "syscall", fl_sys_names[i]);
		label(&c[j], "method", method);
		label(&c[j], "syscall", fl_sys_names[i]);
		t[j].v = hooks ? s->sys_ns[i] : s->sys_off_ns[i];
		t[j].ns = 1;
		c[j].v = hooks ? s->sys_calls[i] : s->sys_blocked[i];
		j++;
	}
}

static void build_breakdown(struct fl_expo *e, const struct fl_breakdown *b)
{
	single(e, FL_F_BD_FLUSHES, b->all.s.flushes, 0);
	single(e, FL_F_BD_WALL, b->all.s.wall_ns, 1);
	build_components(e, FL_F_BD_COMPONENT, &b->all.s);
	build_syscalls(e, b);
	single(e, FL_F_BD_CROSS_THREAD, b->checks.cross_thread, 0);
	/* a p99 tail changes with every flush: a counter only for a fixed --slow */
	if (b->basis == FL_SLOW_FIXED)
		build_components(e, FL_F_BD_SLOW_COMPONENT, &b->slow.s);
}

/* --top N: rank 1 the slowest; a displaced flush's series disappears. */
static void build_top(struct fl_expo *e, const struct fl_anatomy *a)
{
	struct fl_expo_metric *m = family(e, FL_F_TOP, a->ntop);
	char v[24];

	for (size_t i = 0; m && i < a->ntop; i++) {
		snprintf(v, sizeof(v), "%zu", i + 1);
		label(&m[i], "rank", v);
		snprintf(v, sizeof(v), "%" PRIu32, a->top[i].pid);
		label(&m[i], "pid", v);
		snprintf(v, sizeof(v), "%" PRIu32, a->top[i].tid);
		label(&m[i], "tid", v);
		snprintf(v, sizeof(v), "%" PRIu64, a->top[i].start_ns);
		label(&m[i], "start_ns", v);
		m[i].v = a->top[i].duration_ns;
		m[i].ns = 1;
	}
}

static void build_anatomy(struct fl_expo *e, const struct fl_anatomy *a)
{
	if (a->bd)
		build_breakdown(e, a->bd);
	if (a->slow_on) {
		single(e, FL_F_SLOW, a->slow_flushes, 0);
		single(e, FL_F_SLOW_DROPPED, a->slow_dropped, 0);
	}
	if (a->stuck_on)
		single(e, FL_F_STUCK, a->stuck, 0);
	if (a->top_n)
		build_top(e, a);
}

int fl_expo_build(struct fl_expo *e, const struct fl_snapshot *s, const struct fl_render_opts *o)
{
	const struct duration64 *d = &s->ms.maintenance_meta_flush, *w = &s->window.maintenance_meta_flush;

	memset(e, 0, sizeof(*e));
	snprintf(e->prefix, sizeof(e->prefix), "%s", o->prefix && *o->prefix ? o->prefix : "flushlat");
	e->common[e->ncommon++] = (struct prom_label){ "subsystem", "wal_meta" };
	for (int i = 0; i < o->nlabels && i < FL_MAX_LABEL_SET; i++)
		e->common[e->ncommon++] = (struct prom_label){ o->label_keys[i], o->label_values[i] };
	build_hist(e, s, &o->buckets);
	if (d->samples.value > 0) {
		single(e, FL_F_MIN, d->min_ns.value, 1);
		single(e, FL_F_MAX, d->max_ns.value, 1);
	}
	if (s->window_ns) {
		single(e, FL_F_WINDOW, s->window_ns, 1);
		if (w->samples.value > 0) {
			single(e, FL_F_WINDOW_MIN, w->min_ns.value, 1);
			single(e, FL_F_WINDOW_MAX, w->max_ns.value, 1);
		}
	}
	/* --lean: starts are not traced, so these would be a false 0: omitted. */
	if (!s->lean) {
		single(e, FL_F_IN_FLIGHT, s->in_flight, 0);
		single(e, FL_F_OLDEST_AGE, s->in_flight ? s->oldest_age_ns : 0, 1);
		single(e, FL_F_UNMATCHED, s->unmatched, 0);
	}
	single(e, FL_F_DROPPED, s->dropped, 0);
	build_failed(e, s);
	build_progs(e, s);
	build_procs(e, s);
	if (s->an)
		build_anatomy(e, s->an);
	if (s->prev_scrape_ns)
		single(e, FL_F_SCRAPE, s->prev_scrape_ns, 1);
	return e->oom ? -1 : 0;
}

void fl_expo_free(struct fl_expo *e)
{
	free(e->hist.le_ns);
	free(e->hist.cum);
	free(e->hist.ex);
	for (int i = 0; i < FL_F_NR; i++)
		free(e->fam[i].m);
	memset(e, 0, sizeof(*e));
}
