// SPDX-License-Identifier: MIT
/* snapshot.c - the snapshot's lifecycle: empty, copy, free, interval delta and sum. */
#define _GNU_SOURCE /* strerrorname_np */
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "breakdown.h"
#include "metastore.h"

void fl_snapshot_init(struct fl_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->pid = -1;
	metastore_init(&s->ms);
	metastore_init(&s->interval);
	metastore_init(&s->window);
}

void fl_snapshot_free(struct fl_snapshot *s)
{
	if (!s)
		return;
	free(s->procs);
	s->procs = NULL;
	s->nprocs = 0;
	free(s->native);
	s->native = NULL;
	free(s->ex);
	s->ex = NULL;
	fl_anatomy_free(s->an);
	s->an = NULL;
}

int fl_snapshot_copy(struct fl_snapshot *dst, const struct fl_snapshot *src)
{
	*dst = *src;
	dst->procs = NULL;
	dst->native = NULL;
	dst->ex = NULL;
	dst->an = NULL;
	if (src->nprocs) {
		dst->procs = malloc(src->nprocs * sizeof(*src->procs));
		if (!dst->procs)
			goto fail;
		memcpy(dst->procs, src->procs, src->nprocs * sizeof(*src->procs));
	}
	if (src->native && !(dst->native = fl_native_dup(src->native)))
		goto fail;
	if (src->an && !(dst->an = fl_anatomy_dup(src->an)))
		goto fail;
	if (src->ex) {
		dst->ex = malloc(FL_HIST_NBUCKETS * sizeof(*src->ex));
		if (!dst->ex)
			goto fail;
		memcpy(dst->ex, src->ex, FL_HIST_NBUCKETS * sizeof(*src->ex));
	}
	return 0;
fail:
	fl_snapshot_free(dst);
	return -1;
}

static void duration_delta(struct duration64 *o, const struct duration64 *c,
			   const struct duration64 *p)
{
	o->total_ns.value = c->total_ns.value - p->total_ns.value;
	o->samples.value = c->samples.value - p->samples.value;
	o->min_ns.value = FL_MIN_EMPTY;
	o->max_ns.value = 0;
	if (!o->samples.value)
		return;
	/* Only a changed cumulative extreme is known to lie in this interval. */
	if (c->min_ns.value != p->min_ns.value || !p->samples.value)
		o->min_ns.value = c->min_ns.value;
	if (c->max_ns.value != p->max_ns.value || !p->samples.value)
		o->max_ns.value = c->max_ns.value;
}

/* The process pid of s, or NULL (writable: a sum grows its processes in place). */
static struct fl_proc *find_proc(const struct fl_snapshot *s, uint32_t pid)
{
	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == pid)
			return &s->procs[i];
	return NULL;
}

int fl_snapshot_delta(struct fl_snapshot *out, const struct fl_snapshot *cur,
		      const struct fl_snapshot *prev)
{
	struct metastore empty;

	if (fl_snapshot_copy(out, cur))
		return -1;
	out->delta = 1;
	if (cur->an) {
		fl_anatomy_free(out->an);
		out->an = fl_anatomy_delta(cur->an, prev->an);
		if (!out->an) {
			fl_snapshot_free(out);
			return -1;
		}
	}
	metastore_init(&empty);
	if (cur->has_interval)
		out->ms = cur->interval; /* exact, min and max included */
	else
		duration_delta(&out->ms.maintenance_meta_flush, &cur->ms.maintenance_meta_flush,
			       &prev->ms.maintenance_meta_flush);
	for (size_t i = 0; i < FL_HIST_NBUCKETS; i++)
		out->hist[i] = cur->hist[i] - prev->hist[i];
	if (out->native && prev->native && prev->native->schema == out->native->schema &&
	    prev->native->imin == out->native->imin && prev->native->n == out->native->n) {
		out->native->zero -= prev->native->zero;
		for (uint32_t i = 0; i < out->native->n; i++)
			out->native->counts[i] -= prev->native->counts[i];
	}
	out->unmatched = cur->unmatched - prev->unmatched;
	out->dropped = cur->dropped - prev->dropped;
	for (size_t i = 0; i < FL_FAILED_ERRNOS; i++)
		out->failed[i] = cur->failed[i] - prev->failed[i];
	for (int i = 0; i < out->nprogs; i++) {
		for (int j = 0; j < prev->nprogs; j++) {
			if (strcmp(prev->progs[j].name, out->progs[i].name) != 0)
				continue;
			out->progs[i].run_time_ns -= prev->progs[j].run_time_ns;
			out->progs[i].run_cnt -= prev->progs[j].run_cnt;
		}
	}
	for (size_t i = 0; i < out->nprocs; i++) {
		const struct fl_proc *p = find_proc(prev, out->procs[i].pid);

		duration_delta(&out->procs[i].ms.maintenance_meta_flush,
			       &cur->procs[i].ms.maintenance_meta_flush,
			       p ? &p->ms.maintenance_meta_flush : &empty.maintenance_meta_flush);
	}
	return 0;
}

static void duration_add(struct duration64 *a, const struct duration64 *d)
{
	a->samples.value += d->samples.value;
	a->total_ns.value += d->total_ns.value;
	/* an unknown extreme (UINT64_MAX, 0) never wins */
	if (d->samples.value && d->min_ns.value < a->min_ns.value)
		a->min_ns.value = d->min_ns.value;
	if (d->max_ns.value > a->max_ns.value)
		a->max_ns.value = d->max_ns.value;
}

/* Makes room in acc for d's processes that acc has not seen yet. */
static int grow_procs(struct fl_snapshot *acc, const struct fl_snapshot *d)
{
	size_t extra = 0;
	struct fl_proc *p;

	for (size_t i = 0; i < d->nprocs; i++)
		extra += !find_proc(acc, d->procs[i].pid);
	if (!extra)
		return 0;
	p = realloc(acc->procs, (acc->nprocs + extra) * sizeof(*p));
	if (!p)
		return -1;
	acc->procs = p;
	for (size_t i = 0; i < d->nprocs; i++) {
		if (find_proc(acc, d->procs[i].pid))
			continue;
		p = &acc->procs[acc->nprocs++];
		*p = d->procs[i];
		metastore_init(&p->ms);
	}
	return 0;
}

static void progs_add(struct fl_snapshot *acc, const struct fl_prog_stats *p)
{
	int i;

	for (i = 0; i < acc->nprogs; i++)
		if (!strncmp(acc->progs[i].name, p->name, sizeof(p->name)))
			break;
	if (i == acc->nprogs) {
		if (i == FL_MAX_PROGS)
			return;
		acc->progs[acc->nprogs++] = (struct fl_prog_stats){ 0 };
		memcpy(acc->progs[i].name, p->name, sizeof(p->name));
	}
	acc->progs[i].run_time_ns += p->run_time_ns;
	acc->progs[i].run_cnt += p->run_cnt;
}

int fl_snapshot_add(struct fl_snapshot *acc, const struct fl_snapshot *d)
{
	if (grow_procs(acc, d) || fl_anatomy_add(&acc->an, d->an))
		return -1;
	duration_add(&acc->ms.maintenance_meta_flush, &d->ms.maintenance_meta_flush);
	for (size_t i = 0; i < FL_HIST_NBUCKETS; i++)
		acc->hist[i] += d->hist[i];
	acc->unmatched += d->unmatched;
	acc->dropped += d->dropped;
	for (size_t i = 0; i < FL_FAILED_ERRNOS; i++)
		acc->failed[i] += d->failed[i];
	acc->failed_known = d->failed_known; /* one run: the same in every interval */
	for (int i = 0; i < d->nprogs && i < FL_MAX_PROGS; i++)
		progs_add(acc, &d->progs[i]);
	for (size_t i = 0; i < d->nprocs; i++) {
		struct fl_proc *p = find_proc(acc, d->procs[i].pid);

		duration_add(&p->ms.maintenance_meta_flush, &d->procs[i].ms.maintenance_meta_flush);
		p->exited = d->procs[i].exited;
	}
	acc->in_flight = d->in_flight;
	acc->oldest_age_ns = d->oldest_age_ns;
	acc->pid = d->pid;
	acc->taken_ns = d->taken_ns;
	acc->taken_realtime_ns = d->taken_realtime_ns;
	acc->lean |= d->lean;
	acc->delta = 0;
	return 0;
}

/* Where flushes the histogram lacks are put: max's bucket, else the highest one in use. */
static __u32 settle_bucket(const struct fl_snapshot *s)
{
	const struct duration64 *d = &s->ms.maintenance_meta_flush;

	if (d->max_ns.value)
		return fl_hist_bucket(d->max_ns.value);
	for (__u32 i = FL_HIST_NBUCKETS; i-- > 0;)
		if (s->hist[i])
			return i;
	if (d->min_ns.value != FL_MIN_EMPTY)
		return fl_hist_bucket(d->min_ns.value);
	return fl_hist_bucket(d->samples.value ? d->total_ns.value / d->samples.value : 0);
}

void fl_snapshot_settle(struct fl_snapshot *s)
{
	uint64_t n = s->ms.maintenance_meta_flush.samples.value, sum = 0;

	for (__u32 i = 0; i < FL_HIST_NBUCKETS; i++)
		sum += s->hist[i];
	if (sum < n) {
		s->hist[settle_bucket(s)] += n - sum;
		return;
	}
	for (__u32 i = FL_HIST_NBUCKETS; i-- > 0 && sum > n;) {
		uint64_t cut = s->hist[i] < sum - n ? s->hist[i] : sum - n;

		s->hist[i] -= cut;
		sum -= cut;
	}
}

size_t fl_utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* no overlong forms, no surrogates, nothing above U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void fl_comm_str(const char comm[FL_COMM_LEN], char out[FL_COMM_LEN + 1])
{
	const unsigned char *s = (const unsigned char *)comm;
	size_t n = strnlen(comm, FL_COMM_LEN), i = 0;

	while (i < n) {
		size_t len = fl_utf8_len(s + i, n - i);

		if (len == 1 && (s[i] < 0x20 || s[i] == 0x7f))
			len = 0;
		if (!len) {
			out[i++] = '?';
			continue;
		}
		memcpy(out + i, s + i, len);
		i += len;
	}
	out[n] = '\0';
}

void fl_text_safe(char *s)
{
	unsigned char *u = (unsigned char *)s;
	size_t n = strlen(s), i = 0;

	while (i < n) {
		size_t len = fl_utf8_len(u + i, n - i);

		if (!len || (len == 1 && (u[i] < 0x20 || u[i] == 0x7f))) {
			u[i++] = '?';
			continue;
		}
		i += len;
	}
}

uint64_t fl_failed_total(const struct fl_snapshot *s)
{
	uint64_t n = 0;

	for (size_t i = 0; i < FL_FAILED_ERRNOS; i++)
		n += s->failed[i];
	return n;
}

const char *fl_errno_name(unsigned int slot)
{
	const char *name = slot && slot < FL_FAILED_ERRNOS ? strerrorname_np((int)slot) : NULL;

	return name ? name : "other";
}

int fl_errno_slot(const char *name)
{
	for (unsigned int i = 0; i < FL_FAILED_ERRNOS; i++)
		if (!strcmp(fl_errno_name(i), name))
			return (int)i; /* "other" is slot 0, found first */
	return -1;
}
