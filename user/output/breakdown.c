// SPDX-License-Identifier: MIT
/*
 * breakdown.c - the flush anatomy of a snapshot: lifecycle, interval delta,
 * the choice of the slow tail, percentiles.
 */
#include "breakdown.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "percentile.h"

const char *const fl_comp_names[FL_COMP_NR] = { "on_cpu", "runq", "io", "sleep" };
const char *const fl_sys_names[FL_SYS_NR] = { "fdatasync", "fsync", "rename", "openat",
					      "write", "close", "other", "none" };
const char *const fl_sys_method_names[2] = { "switch-out", "hooks" };

int fl_comp_index(const char *name, size_t len)
{
	for (int i = 0; i < FL_COMP_NR; i++)
		if (strlen(fl_comp_names[i]) == len && !strncmp(name, fl_comp_names[i], len))
			return i;
	return -1;
}

int fl_sys_index(const char *name)
{
	for (int i = 0; i < FL_SYS_NR; i++)
		if (!strcmp(name, fl_sys_names[i]))
			return i;
	return -1;
}

struct fl_breakdown *fl_breakdown_new(void)
{
	return calloc(1, sizeof(struct fl_breakdown));
}

void fl_breakdown_free(struct fl_breakdown *b)
{
	if (!b)
		return;
	free(b->cells);
	free(b->hcells);
	free(b);
}

struct fl_anatomy *fl_anatomy_new(void)
{
	return calloc(1, sizeof(struct fl_anatomy));
}

void fl_anatomy_free(struct fl_anatomy *a)
{
	if (!a)
		return;
	fl_breakdown_free(a->bd);
	free(a);
}

static void *dup_mem(const void *p, size_t n)
{
	void *q;

	if (!n)
		return NULL;
	q = malloc(n);
	if (q)
		memcpy(q, p, n);
	return q;
}

static struct fl_breakdown *bd_dup(const struct fl_breakdown *b)
{
	struct fl_breakdown *c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	*c = *b;
	c->cells = dup_mem(b->cells, b->ncells * sizeof(*b->cells));
	c->hcells = dup_mem(b->hcells, b->nhcells * sizeof(*b->hcells));
	if ((b->ncells && !c->cells) || (b->nhcells && !c->hcells)) {
		fl_breakdown_free(c);
		return NULL;
	}
	return c;
}

struct fl_anatomy *fl_anatomy_dup(const struct fl_anatomy *a)
{
	struct fl_anatomy *c;

	if (!a)
		return NULL;
	c = malloc(sizeof(*c));
	if (!c)
		return NULL;
	*c = *a;
	c->bd = NULL;
	if (a->bd && !(c->bd = bd_dup(a->bd))) {
		free(c);
		return NULL;
	}
	return c;
}

void fl_bd_sums_add(struct fl_bd_sums *dst, const struct fl_bd_sums *src)
{
	dst->flushes += src->flushes;
	dst->wall_ns += src->wall_ns;
	for (int c = 0; c < FL_COMP_NR; c++) {
		dst->comp_ns[c] += src->comp_ns[c];
		if (src->comp_max[c] > dst->comp_max[c])
			dst->comp_max[c] = src->comp_max[c];
	}
	for (int i = 0; i < FL_SYS_NR; i++) {
		dst->sys_off_ns[i] += src->sys_off_ns[i];
		dst->sys_blocked[i] += src->sys_blocked[i];
		dst->sys_ns[i] += src->sys_ns[i];
		dst->sys_calls[i] += src->sys_calls[i];
	}
}

void fl_bd_agg_add(struct fl_bd_agg *dst, const struct fl_bd_agg *src)
{
	fl_bd_sums_add(&dst->s, &src->s);
	for (int c = 0; c < FL_COMP_NR; c++)
		for (size_t i = 0; i < FL_HIST_NBUCKETS; i++)
			dst->hist[c][i] += src->hist[c][i];
}

uint64_t fl_bd_percentile(const struct fl_bd_agg *a, enum fl_comp c, double q)
{
	return fl_hist_percentile(a->hist[c], q, 0, a->s.comp_max[c]);
}

/* The duration bucket of a tail cell or histogram key. */
static uint32_t cell_db(uint32_t idx)
{
	return idx >> 1;
}

/*
 * The first duration bucket of the tail and whether, in that bucket, only
 * the cells over --slow belong to it.  UINT32_MAX: no tail (no flushes).
 */
static uint32_t tail_bucket(const struct fl_breakdown *b, enum fl_slow_basis basis,
			    uint64_t slow_ns, uint64_t *threshold)
{
	uint64_t n = 0, rank, seen = 0;
	double r;

	if (basis == FL_SLOW_FIXED) {
		*threshold = slow_ns;
		return fl_hist_bucket(slow_ns);
	}
	for (size_t i = 0; i < b->ncells; i++)
		n += b->cells[i].s.flushes;
	*threshold = 0;
	if (!n)
		return UINT32_MAX;
	r = ceil(0.99 * (double)n);
	rank = r < 1.0 ? 1 : (r >= (double)n ? n : (uint64_t)r);
	for (size_t i = 0; i < b->ncells; i++) { /* sorted by bucket */
		seen += b->cells[i].s.flushes;
		if (seen >= rank) {
			*threshold = fl_hist_bucket_lo(cell_db(b->cells[i].idx));
			return cell_db(b->cells[i].idx);
		}
	}
	return UINT32_MAX;
}

static int in_tail(uint32_t db, int over, uint32_t tb, enum fl_slow_basis basis)
{
	if (tb == UINT32_MAX)
		return 0;
	return db > tb || (db == tb && (basis == FL_SLOW_P99 || over));
}

void fl_breakdown_pick_tail(struct fl_breakdown *b, enum fl_slow_basis basis, uint64_t slow_ns)
{
	uint64_t thr;
	uint32_t tb = tail_bucket(b, basis, slow_ns, &thr);

	memset(&b->slow, 0, sizeof(b->slow));
	b->basis = basis;
	b->slow_threshold_ns = thr;
	for (size_t i = 0; i < b->ncells; i++) {
		const struct fl_bd_cell *c = &b->cells[i];

		if (in_tail(cell_db(c->idx), c->idx & 1, tb, basis))
			fl_bd_sums_add(&b->slow.s, &c->s);
	}
	for (size_t i = 0; i < b->nhcells; i++) {
		uint32_t k = b->hcells[i].key;

		if (in_tail(k >> 13, (k >> 12) & 1, tb, basis))
			b->slow.hist[(k >> 10) & 3][(k & 1023) % FL_HIST_NBUCKETS] += b->hcells[i].count;
	}
}

/* ---- interval delta ----------------------------------------------------- */

static void sums_sub(struct fl_bd_sums *o, const struct fl_bd_sums *c, const struct fl_bd_sums *p)
{
	o->flushes = c->flushes - p->flushes;
	o->wall_ns = c->wall_ns - p->wall_ns;
	for (int i = 0; i < FL_COMP_NR; i++) {
		o->comp_ns[i] = c->comp_ns[i] - p->comp_ns[i];
		/* only a changed maximum is known to lie in the interval */
		o->comp_max[i] = c->comp_max[i] != p->comp_max[i] ? c->comp_max[i] : 0;
	}
	for (int i = 0; i < FL_SYS_NR; i++) {
		o->sys_off_ns[i] = c->sys_off_ns[i] - p->sys_off_ns[i];
		o->sys_blocked[i] = c->sys_blocked[i] - p->sys_blocked[i];
		o->sys_ns[i] = c->sys_ns[i] - p->sys_ns[i];
		o->sys_calls[i] = c->sys_calls[i] - p->sys_calls[i];
	}
}

/*
 * An interval's maximum that did not move the overall one: the highest
 * non-empty bucket's estimate (within one bucket, 6.25%), never above the
 * overall maximum.
 */
static void agg_fix_max(struct fl_bd_agg *a, const uint64_t *overall_max)
{
	for (int c = 0; c < FL_COMP_NR; c++)
		if (!a->s.comp_max[c] && a->s.flushes)
			a->s.comp_max[c] = fl_hist_percentile(a->hist[c], 1.0, 0, overall_max[c]);
}

static void agg_sub(struct fl_bd_agg *o, const struct fl_bd_agg *c, const struct fl_bd_agg *p)
{
	sums_sub(&o->s, &c->s, &p->s);
	for (int k = 0; k < FL_COMP_NR; k++)
		for (size_t i = 0; i < FL_HIST_NBUCKETS; i++)
			o->hist[k][i] = c->hist[k][i] - p->hist[k][i];
	agg_fix_max(o, c->s.comp_max);
}

static void checks_sub(struct fl_bd_checks *o, const struct fl_bd_checks *c,
		       const struct fl_bd_checks *p)
{
	const uint64_t *cv = (const uint64_t *)c, *pv = (const uint64_t *)p;
	uint64_t *ov = (uint64_t *)o;

	for (size_t i = 0; i < sizeof(*o) / sizeof(uint64_t); i++)
		ov[i] = cv[i] - pv[i];
}

static int cells_sub(struct fl_breakdown *o, const struct fl_breakdown *c,
		     const struct fl_breakdown *p)
{
	static const struct fl_bd_sums zero;
	size_t j = 0, n = 0;

	o->cells = c->ncells ? malloc(c->ncells * sizeof(*o->cells)) : NULL;
	if (c->ncells && !o->cells)
		return -1;
	for (size_t i = 0; i < c->ncells; i++) {
		const struct fl_bd_sums *ps = &zero;

		while (j < p->ncells && p->cells[j].idx < c->cells[i].idx)
			j++;
		if (j < p->ncells && p->cells[j].idx == c->cells[i].idx)
			ps = &p->cells[j].s;
		o->cells[n].idx = c->cells[i].idx;
		sums_sub(&o->cells[n].s, &c->cells[i].s, ps);
		if (o->cells[n].s.flushes)
			n++;
	}
	o->ncells = n;
	return 0;
}

static int hcells_sub(struct fl_breakdown *o, const struct fl_breakdown *c,
		      const struct fl_breakdown *p)
{
	size_t j = 0, n = 0;

	o->hcells = c->nhcells ? malloc(c->nhcells * sizeof(*o->hcells)) : NULL;
	if (c->nhcells && !o->hcells)
		return -1;
	for (size_t i = 0; i < c->nhcells; i++) {
		uint64_t prev = 0;

		while (j < p->nhcells && p->hcells[j].key < c->hcells[i].key)
			j++;
		if (j < p->nhcells && p->hcells[j].key == c->hcells[i].key)
			prev = p->hcells[j].count;
		if (c->hcells[i].count > prev) {
			o->hcells[n].key = c->hcells[i].key;
			o->hcells[n++].count = c->hcells[i].count - prev;
		}
	}
	o->nhcells = n;
	return 0;
}

static struct fl_breakdown *bd_delta(const struct fl_breakdown *c, const struct fl_breakdown *p)
{
	struct fl_breakdown *o = fl_breakdown_new();

	if (!o)
		return NULL;
	o->method = c->method;
	o->open_spans = c->open_spans;
	agg_sub(&o->all, &c->all, &p->all);
	checks_sub(&o->checks, &c->checks, &p->checks);
	if (cells_sub(o, c, p) || hcells_sub(o, c, p)) {
		fl_breakdown_free(o);
		return NULL;
	}
	if (c->ncells || !p->ncells) {
		/* the interval's own tail */
		fl_breakdown_pick_tail(o, c->basis, c->slow_threshold_ns);
		for (int k = 0; k < FL_COMP_NR; k++) /* per-cell maxima that did not move */
			if (!o->slow.s.comp_max[k] && o->slow.s.flushes)
				o->slow.s.comp_max[k] = fl_hist_percentile(
					o->slow.hist[k], 1.0, 0, c->slow.s.comp_max[k]);
	} else {
		o->basis = c->basis;
		o->slow_threshold_ns = c->slow_threshold_ns;
		agg_sub(&o->slow, &c->slow, &p->slow);
	}
	return o;
}

struct fl_anatomy *fl_anatomy_delta(const struct fl_anatomy *cur, const struct fl_anatomy *prev)
{
	struct fl_anatomy *o;

	if (!cur)
		return NULL;
	if (!prev)
		return fl_anatomy_dup(cur);
	o = malloc(sizeof(*o));
	if (!o)
		return NULL;
	*o = *cur; /* top list and stuck count: current values */
	o->bd = NULL;
	o->slow_flushes = cur->slow_flushes - prev->slow_flushes;
	o->slow_dropped = cur->slow_dropped - prev->slow_dropped;
	o->top_missed = cur->top_missed - prev->top_missed;
	if (cur->bd) {
		static struct fl_breakdown empty;

		o->bd = bd_delta(cur->bd, prev->bd ? prev->bd : &empty);
		if (!o->bd) {
			free(o);
			return NULL;
		}
	}
	return o;
}

static void checks_add(struct fl_bd_checks *a, const struct fl_bd_checks *d)
{
	uint64_t *av = (uint64_t *)a;
	const uint64_t *dv = (const uint64_t *)d;

	for (size_t i = 0; i < sizeof(*a) / sizeof(uint64_t); i++)
		av[i] += dv[i];
}

int fl_anatomy_add(struct fl_anatomy **acc, const struct fl_anatomy *d)
{
	struct fl_anatomy *a;

	if (!d)
		return 0;
	if (!*acc) {
		*acc = fl_anatomy_dup(d);
		return *acc ? 0 : -1;
	}
	a = *acc;
	a->slow_on |= d->slow_on;
	a->slow_ns = d->slow_ns;
	a->slow_flushes += d->slow_flushes;
	a->slow_dropped += d->slow_dropped;
	a->top_missed += d->top_missed;
	a->top_n = d->top_n;
	a->ntop = d->ntop;
	memcpy(a->top, d->top, sizeof(a->top));
	a->stuck_on = d->stuck_on;
	a->stuck_ns = d->stuck_ns;
	a->stuck = d->stuck;
	if (!d->bd)
		return 0;
	if (!a->bd) {
		a->bd = bd_dup(d->bd);
		return a->bd ? 0 : -1;
	}
	fl_bd_agg_add(&a->bd->all, &d->bd->all);
	fl_bd_agg_add(&a->bd->slow, &d->bd->slow);
	checks_add(&a->bd->checks, &d->bd->checks);
	a->bd->open_spans = d->bd->open_spans;
	a->bd->method = d->bd->method;
	if (a->bd->basis != d->bd->basis || d->bd->slow_threshold_ns < a->bd->slow_threshold_ns)
		a->bd->slow_threshold_ns = d->bd->slow_threshold_ns;
	a->bd->basis = d->bd->basis;
	return 0;
}
