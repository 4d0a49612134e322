// SPDX-License-Identifier: MIT
/*
 * epoch.c - epoch rotation of the BPF record maps: flip, drain, fold (see
 * epoch.h; the BPF side and the proof that no update is lost or torn are in
 * bpf/record.bpf.h).
 */
#include "epoch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "flushlat.skel.h"
#include "metastore.h"

_Static_assert(FL_EPOCH_CONSUMERS <= 32, "a bit per consumer elsewhere");

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int native_on(const struct fl_epochs_cfg *cfg)
{
	return cfg->on && cfg->native_schema != FL_NATIVE_NONE;
}

static int exemplars_on(const struct fl_epochs_cfg *cfg)
{
	return cfg->on && cfg->exemplars;
}

int fl_epochs_configure(struct flushlat *skel, const struct fl_epochs_cfg *cfg, char *err,
			size_t errlen)
{
	struct fl_native_geom g;

	skel->rodata->epochs_on = cfg->on;
	skel->rodata->exemplars_on = exemplars_on(cfg);
	if (exemplars_on(cfg) &&
	    bpf_map__set_value_size(skel->maps.exemplars, FL_HIST_NBUCKETS * sizeof(struct fl_ex_rec))) {
		snprintf(err, errlen, "cannot size the exemplar map");
		return -1;
	}
	skel->rodata->native_on = native_on(cfg);
	if (!native_on(cfg))
		return 0;
	if (fl_native_geom(cfg->native_schema, &g)) {
		snprintf(err, errlen, "native schema %d out of range", cfg->native_schema);
		return -1;
	}
	skel->rodata->nh_steps = g.steps;
	skel->rodata->nh_oct_bits = g.oct_bits;
	for (int k = 0; k < 64; k++)
		skel->rodata->nh_oct[k] = g.oct[k];
	skel->rodata->nh_chunk_bits = g.chunk_bits;
	skel->rodata->nh_nchunks = g.nchunks;
	if (bpf_map__set_value_size(skel->maps.nh_thr, (__u32)(sizeof(__u64) << g.steps)) ||
	    bpf_map__set_value_size(skel->maps.nh_counts, (__u32)(sizeof(__u64) << g.chunk_bits)) ||
	    bpf_map__set_max_entries(skel->maps.nh_counts, FL_EPOCH_SLOTS * g.nchunks)) {
		snprintf(err, errlen, "cannot size the native histogram maps");
		return -1;
	}
	skel->rodata->nh_top_ns = g.top_ns;
	return 0;
}

/* The threshold table, written once and frozen: the program only reads it. */
static int fill_thresholds(struct fl_epochs *ep, struct flushlat *skel)
{
	uint64_t *t = malloc(sizeof(*t) << ep->geom.steps);
	__u32 zero = 0;
	int fd = bpf_map__fd(skel->maps.nh_thr), ret = 0;

	if (!t)
		return -ENOMEM;
	fl_native_thresholds(&ep->geom, t);
	if (bpf_map_update_elem(fd, &zero, t, BPF_ANY) || bpf_map_freeze(fd))
		ret = -errno;
	free(t);
	return ret;
}

static size_t nh_chunk(const struct fl_epochs *ep)
{
	return (size_t)1 << ep->geom.chunk_bits;
}

/* Slot s of every map back to empty (MetaStore min = UINT64_MAX on every CPU). */
static int reset_slot(struct fl_epochs *ep, __u32 s)
{
	if (bpf_map_update_elem(ep->ms_fd, &s, ep->ms_seed, BPF_ANY) ||
	    bpf_map_update_elem(ep->hist_fd, &s, ep->zero, BPF_ANY))
		return -errno;
	for (__u32 c = 0; ep->native && c < ep->geom.nchunks; c++) {
		__u32 key = s * ep->geom.nchunks + c;

		if (bpf_map_update_elem(ep->nh_fd, &key, ep->zero, BPF_ANY))
			return -errno;
	}
	if (ep->ex_buf && bpf_map_update_elem(ep->ex_fd, &s, ep->zero, BPF_ANY))
		return -errno;
	return 0;
}

static int alloc_buffers(struct fl_epochs *ep)
{
	size_t n = (size_t)ep->ncpu, zero = FL_HIST_NBUCKETS * sizeof(uint64_t);

	ep->ms_buf = aligned_alloc(FL_CACHELINE, n * sizeof(struct metastore));
	ep->ms_seed = aligned_alloc(FL_CACHELINE, n * sizeof(struct metastore));
	ep->hist_buf = calloc(n * FL_HIST_NBUCKETS, sizeof(uint64_t));
	ep->win = calloc(FL_WINDOW_EPOCHS, sizeof(*ep->win));
	if (!ep->ms_buf || !ep->ms_seed || !ep->hist_buf || !ep->win)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		metastore_init(&ep->ms_seed[i]);
	if (ep->native) {
		ep->nh_buf = calloc(n * nh_chunk(ep), sizeof(uint64_t));
		if (!ep->nh_buf)
			return -ENOMEM;
		if (nh_chunk(ep) * sizeof(uint64_t) > zero)
			zero = nh_chunk(ep) * sizeof(uint64_t);
	}
	if (exemplars_on(&ep->cfg)) {
		ep->ex_buf = calloc(n * FL_HIST_NBUCKETS, sizeof(*ep->ex_buf));
		ep->ex_epoch = calloc(FL_HIST_NBUCKETS, sizeof(*ep->ex_epoch));
		if (!ep->ex_buf || !ep->ex_epoch)
			return -ENOMEM;
		if (FL_HIST_NBUCKETS * sizeof(struct fl_ex_rec) > zero)
			zero = FL_HIST_NBUCKETS * sizeof(struct fl_ex_rec);
		for (int c = 0; c < FL_EPOCH_CONSUMERS; c++) {
			ep->view[c].ex = calloc(FL_HIST_NBUCKETS, sizeof(*ep->view[c].ex));
			ep->view[c].shown = calloc(FL_HIST_NBUCKETS, sizeof(*ep->view[c].shown));
			if (!ep->view[c].ex || !ep->view[c].shown)
				return -ENOMEM;
		}
	}
	ep->zero = calloc(n, zero); /* ncpu copies of the largest value */
	return ep->zero ? 0 : -ENOMEM;
}

int fl_epochs_open(struct fl_epochs *ep, struct flushlat *skel, const struct fl_epochs_cfg *cfg,
		   int ncpu, char *err, size_t errlen)
{
	int ret;

	memset(ep, 0, sizeof(*ep));
	ep->cfg = *cfg;
	ep->ncpu = ncpu;
	ep->ms_fd = bpf_map__fd(skel->maps.metastore);
	ep->hist_fd = bpf_map__fd(skel->maps.hist);
	ep->nh_fd = bpf_map__fd(skel->maps.nh_counts);
	ep->ex_fd = bpf_map__fd(skel->maps.exemplars);
	ep->epoch = &skel->bss->epoch;
	ep->busy = skel->bss->epoch_busy;
	metastore_init(&ep->total);
	for (int c = 0; c < FL_EPOCH_CONSUMERS; c++)
		metastore_init(&ep->view[c].ms);
	if (native_on(cfg)) {
		fl_native_geom(cfg->native_schema, &ep->geom);
		ep->native = fl_native_new(&ep->geom);
		ep->native_epoch = fl_native_new(&ep->geom);
		if (!ep->native || !ep->native_epoch) {
			snprintf(err, errlen, "cannot set up the native histogram: out of memory");
			return -ENOMEM;
		}
	}
	ret = alloc_buffers(ep);
	if (ret) {
		snprintf(err, errlen, "cannot set up the epoch reader: out of memory");
		return ret;
	}
	if (ep->native && (ret = fill_thresholds(ep, skel))) {
		snprintf(err, errlen, "cannot fill the native threshold table: %s", strerror(-ret));
		return ret;
	}
	for (__u32 s = 0; s < FL_EPOCH_SLOTS; s++) {
		ret = reset_slot(ep, s);
		if (ret) {
			snprintf(err, errlen, "cannot initialise the record maps: %s", strerror(-ret));
			return ret;
		}
	}
	ep->flip_ns = now_ns(CLOCK_MONOTONIC);
	return 0;
}

void fl_epochs_close(struct fl_epochs *ep)
{
	free(ep->ms_buf);
	free(ep->ms_seed);
	free(ep->hist_buf);
	free(ep->nh_buf);
	free(ep->ex_buf);
	free(ep->ex_epoch);
	free(ep->zero);
	free(ep->native);
	free(ep->native_epoch);
	free(ep->win);
	for (int c = 0; c < FL_EPOCH_CONSUMERS; c++) {
		free(ep->view[c].ex);
		free(ep->view[c].shown);
	}
	memset(ep, 0, sizeof(*ep));
}

void fl_sum_percpu(uint64_t *out, const uint64_t *percpu, size_t n, int ncpu)
{
	for (int c = 0; c < ncpu; c++)
		for (size_t i = 0; i < n; i++)
			out[i] += percpu[(size_t)c * n + i];
}

/*
 * The flip: the new epoch is published, then a full barrier, then every
 * in-progress count of the old slot is awaited (record.bpf.h says why this
 * is enough).  The loads are acquires: the slot is read only after them.
 */
static void flip(struct fl_epochs *ep)
{
	uint64_t e = __atomic_load_n(ep->epoch, __ATOMIC_RELAXED);

	__atomic_store_n(ep->epoch, e + 1, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	ep->pending = 1;
}

static int busy(const struct fl_epochs *ep, __u32 s)
{
	for (int p = 0; p < FL_EPOCH_PINS; p++)
		if (__atomic_load_n(&ep->busy[p * FL_EPOCH_PIN_STRIDE + s], __ATOMIC_ACQUIRE))
			return 1;
	return 0;
}

/*
 * An update lasts nanoseconds, unless its program was preempted: then it
 * resumes within a scheduler tick or two.  Re-check at once, then sleep a
 * little longer each time, up to the timeout.
 */
static int drain(struct fl_epochs *ep, __u32 s)
{
	uint64_t start = now_ns(CLOCK_MONOTONIC);
	long sleep_ns = 1000;

	while (busy(ep, s)) {
		struct timespec ts = { 0, sleep_ns };

		if (now_ns(CLOCK_MONOTONIC) - start > FL_EPOCH_DRAIN_TIMEOUT_MS * 1000000ULL)
			return -ETIMEDOUT;
		nanosleep(&ts, NULL);
		if (sleep_ns < 1000000)
			sleep_ns *= 2;
	}
	return 0;
}

/* The slowest valid record of each bucket over the CPUs, as exemplars. */
static void fold_exemplars(struct fl_epochs *ep, uint64_t mono_to_real)
{
	memset(ep->ex_epoch, 0, FL_HIST_NBUCKETS * sizeof(*ep->ex_epoch));
	for (int c = 0; c < ep->ncpu; c++) {
		const struct fl_ex_rec *r = &ep->ex_buf[(size_t)c * FL_HIST_NBUCKETS];

		for (size_t b = 0; b < FL_HIST_NBUCKETS; b++) {
			struct fl_exemplar *x = &ep->ex_epoch[b];

			if (!r[b].dur_ns)
				continue;
			/* fields of two preempting flushes mixed: no exemplar, rather than a false one */
			if (r[b].chk != fl_ex_chk(r[b].dur_ns, r[b].id, r[b].ktime_ns)) {
				ep->torn++;
				continue;
			}
			if (r[b].dur_ns <= x->value_ns)
				continue;
			x->value_ns = r[b].dur_ns;
			x->time_ns = r[b].ktime_ns + mono_to_real;
			x->pid = (uint32_t)(r[b].id >> 32);
			x->tid = (uint32_t)r[b].id;
		}
	}
}

static void window_push(struct fl_epochs *ep, uint64_t start, uint64_t end,
			const struct duration64 *d)
{
	struct fl_window_epoch *w;

	if (ep->nwin == FL_WINDOW_EPOCHS) { /* merge the two oldest: coverage is kept */
		struct fl_window_epoch *a = &ep->win[0], *b = &ep->win[1];

		b->start_ns = a->start_ns;
		if (a->samples && (!b->samples || a->min_ns < b->min_ns))
			b->min_ns = a->min_ns;
		if (a->max_ns > b->max_ns)
			b->max_ns = a->max_ns;
		b->samples += a->samples;
		memmove(ep->win, ep->win + 1, (FL_WINDOW_EPOCHS - 1) * sizeof(*ep->win));
		ep->nwin--;
	}
	w = &ep->win[ep->nwin++];
	w->start_ns = start;
	w->end_ns = end;
	w->samples = d->samples.value;
	w->min_ns = d->min_ns.value;
	w->max_ns = d->max_ns.value;
}

/* Reads the native counts of slot s, summed over the CPUs, into h. */
static int read_native(struct fl_epochs *ep, __u32 s, struct fl_native *h)
{
	memset(h->counts, 0, h->n * sizeof(h->counts[0]));
	h->zero = 0;
	for (__u32 c = 0; c < ep->geom.nchunks; c++) {
		__u32 key = s * ep->geom.nchunks + c;
		size_t first = (size_t)c * nh_chunk(ep);

		if (bpf_map_lookup_elem(ep->nh_fd, &key, ep->nh_buf))
			return -errno;
		for (int cpu = 0; cpu < ep->ncpu; cpu++) {
			const uint64_t *v = &ep->nh_buf[(size_t)cpu * nh_chunk(ep)];

			/* counter 0 is the zero bucket, 1 + k the bucket imin + k */
			for (size_t i = 0; i < nh_chunk(ep) && first + i <= h->n; i++) {
				if (first + i == 0)
					h->zero += v[i];
				else
					h->counts[first + i - 1] += v[i];
			}
		}
	}
	return 0;
}

/*
 * Reads slot s (quiesced) into scratch, resets it, and only then adds it to
 * the totals and to every view: a failed read leaves nothing half-added
 * and the slot intact for the next try.
 */
static int fold(struct fl_epochs *ep, __u32 s, unsigned int nconsumers)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC), real = now_ns(CLOCK_REALTIME);
	struct metastore m;
	int ret;

	if (bpf_map_lookup_elem(ep->ms_fd, &s, ep->ms_buf))
		return -errno;
	metastore_merge(&m, ep->ms_buf, (size_t)ep->ncpu);
	if (bpf_map_lookup_elem(ep->hist_fd, &s, ep->hist_buf))
		return -errno;
	memset(ep->hist_epoch, 0, sizeof(ep->hist_epoch));
	fl_sum_percpu(ep->hist_epoch, ep->hist_buf, FL_HIST_NBUCKETS, ep->ncpu);
	if (ep->native && (ret = read_native(ep, s, ep->native_epoch)))
		return ret;
	if (ep->ex_buf) {
		if (bpf_map_lookup_elem(ep->ex_fd, &s, ep->ex_buf))
			return -errno;
		fold_exemplars(ep, real - now);
	}
	ret = reset_slot(ep, s);
	if (ret)
		return ret;
	metastore_add(&ep->total, &m);
	for (size_t b = 0; b < FL_HIST_NBUCKETS; b++)
		ep->hist[b] += ep->hist_epoch[b];
	if (ep->native) {
		ep->native->zero += ep->native_epoch->zero;
		for (uint32_t i = 0; i < ep->native->n; i++)
			ep->native->counts[i] += ep->native_epoch->counts[i];
	}
	for (unsigned int c = 0; c < nconsumers && c < FL_EPOCH_CONSUMERS; c++) {
		struct fl_epoch_view *v = &ep->view[c];

		metastore_add(&v->ms, &m);
		for (size_t b = 0; v->ex && b < FL_HIST_NBUCKETS; b++)
			if (ep->ex_epoch[b].value_ns > v->ex[b].value_ns)
				v->ex[b] = ep->ex_epoch[b];
	}
	window_push(ep, ep->flip_ns, now, &m.maintenance_meta_flush);
	ep->flip_ns = now;
	return 0;
}

/*
 * The window: every epoch that ended within the last --window seconds
 * (the one just folded always), so it covers at least the window and, when
 * reads are further apart, the time since the previous read.
 */
static void window_read(struct fl_epochs *ep, struct fl_snapshot *s)
{
	uint64_t now = ep->flip_ns, w = (uint64_t)(ep->cfg.window_s * 1e9);
	struct duration64 *d = &s->window.maintenance_meta_flush;
	size_t first = 0;

	while (first + 1 < ep->nwin && ep->win[first].end_ns + w <= now)
		first++;
	memmove(ep->win, ep->win + first, (ep->nwin - first) * sizeof(*ep->win));
	ep->nwin -= first;
	metastore_init(&s->window);
	for (size_t i = 0; i < ep->nwin; i++) {
		const struct fl_window_epoch *e = &ep->win[i];

		if (!e->samples)
			continue;
		d->samples.value += e->samples;
		if (e->min_ns < d->min_ns.value)
			d->min_ns.value = e->min_ns;
		if (e->max_ns > d->max_ns.value)
			d->max_ns.value = e->max_ns;
	}
	s->window_ns = ep->nwin ? now - ep->win[0].start_ns : 0;
}

static uint64_t hist_sum(const struct fl_snapshot *s)
{
	uint64_t n = 0;

	for (size_t i = 0; i < FL_HIST_NBUCKETS; i++)
		n += s->hist[i];
	return n;
}

/*
 * Without rotation slot 0 is the cumulative total, read in place, as one
 * consistent reading when possible.  The BPF side raises samples first and
 * the histogram last, and the histogram is read first here: a flush in the
 * histogram read is then in the MetaStore read too, complete (x86 keeps
 * both orders), so equal counts mean both hold exactly the same flushes.  A
 * flush completing in between breaks the tie: read again, a few times (a few
 * us each); under a flood that never lets up they stay apart by those few
 * flushes (fl_snapshot_settle).  With rotation the question does not arise.
 */
static int read_slot0(struct fl_epochs *ep, struct fl_snapshot *s)
{
	__u32 zero = 0;

	for (int try = 0; try < FL_READER_TRIES; try++) {
		memset(s->hist, 0, sizeof(s->hist));
		if (bpf_map_lookup_elem(ep->hist_fd, &zero, ep->hist_buf))
			return -errno;
		fl_sum_percpu(s->hist, ep->hist_buf, FL_HIST_NBUCKETS, ep->ncpu);
		if (bpf_map_lookup_elem(ep->ms_fd, &zero, ep->ms_buf))
			return -errno;
		metastore_merge(&s->ms, ep->ms_buf, (size_t)ep->ncpu);
		if (hist_sum(s) == s->ms.maintenance_meta_flush.samples.value)
			break;
	}
	return 0;
}

/* What the reader shows: this read's new exemplars replace the older ones. */
static int show_exemplars(struct fl_epoch_view *v, struct fl_snapshot *s)
{
	v->seq++;
	for (size_t b = 0; b < FL_HIST_NBUCKETS; b++) {
		if (!v->ex[b].value_ns)
			continue;
		v->shown[b] = v->ex[b];
		v->shown[b].seq = v->seq;
	}
	memset(v->ex, 0, FL_HIST_NBUCKETS * sizeof(*v->ex));
	s->ex = malloc(FL_HIST_NBUCKETS * sizeof(*s->ex));
	if (!s->ex)
		return -ENOMEM;
	memcpy(s->ex, v->shown, FL_HIST_NBUCKETS * sizeof(*s->ex));
	return 0;
}

int fl_epochs_read(struct fl_epochs *ep, int consumer, unsigned int nconsumers,
		   struct fl_snapshot *s)
{
	struct fl_epoch_view *v = &ep->view[consumer];
	__u32 old;
	int ret;

	if (!ep->cfg.on)
		return read_slot0(ep, s);
	if (!ep->pending)
		flip(ep);
	old = (__u32)((__atomic_load_n(ep->epoch, __ATOMIC_RELAXED) - 1) & 1);
	ret = drain(ep, old);
	if (ret)
		return ret; /* still pending: the next read drains it first */
	ret = fold(ep, old, nconsumers);
	if (ret)
		return ret;
	ep->pending = 0;
	s->ms = ep->total;
	memcpy(s->hist, ep->hist, sizeof(s->hist));
	s->interval = v->ms;
	s->has_interval = 1;
	metastore_init(&v->ms);
	window_read(ep, s);
	if (ep->native && !(s->native = fl_native_dup(ep->native)))
		return -ENOMEM;
	if (v->ex)
		return show_exemplars(v, s);
	return 0;
}
