// SPDX-License-Identifier: MIT
/*
 * anatomy.c - the flush anatomy in the tracer: the BPF object configured
 * before it loads, the hooks attached before the probes, the anatomy maps
 * read into a snapshot, and the spans of crashed processes closed.
 */
#define _GNU_SOURCE
#include "anatomy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "anatomy_priv.h"
#include "breakdown.h"
#include "flushlat.skel.h"
#include "ksyms.h"
#include "msg.h"
#include "session.h"
#include "snapshot.h"

_Static_assert(FL_TOP_MAX == FL_TOP_LIMIT, "--top: one limit for BPF and user space");
_Static_assert((int)FL_AN_NCOMP == (int)FL_COMP_NR && (int)FL_AN_NSYS == (int)FL_SYS_NR,
	       "the BPF classes are the output's");
_Static_assert(FL_AN_TAIL_SUMS <= (1 << 11) && FL_HIST_NBUCKETS <= 1024,
	       "a tail histogram key packs into 32 bits");

#define BTF_PATH "/sys/kernel/btf/vmlinux"

int fl_anat_wanted(const struct fl_session *t)
{
	const struct fl_opts *o = &t->o;

	return o->breakdown || o->slow || o->top || o->stuck_ns;
}

/* 0 when the kernel's BTF is there (its magic read), else -errno. */
static int kernel_btf(void)
{
	uint16_t magic = 0;
	FILE *f = fopen(BTF_PATH, "re");
	int err;

	if (!f)
		return -errno;
	err = fread(&magic, sizeof(magic), 1, f) == 1 && magic == 0xeB9F ? 0 : -EINVAL;
	fclose(f);
	return err;
}

int fl_anat_check_btf(const struct fl_session *t)
{
	const char *what = t->o.breakdown ? "--breakdown" : "--stuck";
	int err;

	if (!t->o.breakdown && !t->o.stuck_ns)
		return 0;
	err = kernel_btf();
	if (!err)
		return 0;
	fl_err("%s needs the kernel's BTF (%s: %s; a kernel built with "
			"CONFIG_DEBUG_INFO_BTF); the default mode works without it",
		what, BTF_PATH, err == -EINVAL ? "not BTF" : strerror(-err));
	return -1;
}

int fl_anat_btf_fallback(char *path, size_t len)
{
	/* a BTF header with no types and an empty string table */
	static const struct {
		uint16_t magic;
		uint8_t version, flags;
		uint32_t hdr_len, type_off, type_len, str_off, str_len;
		char str[1];
	} __attribute__((packed)) empty = { 0xeB9F, 1, 0, 24, 0, 0, 0, 1, { 0 } };
	int fd;

	if (!kernel_btf())
		return -1;
	fd = memfd_create("flushlat-btf", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, &empty, sizeof(empty)) != (ssize_t)sizeof(empty)) {
		close(fd);
		return -1;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

/* An unused map is created at its smallest: the default run pays nothing for it. */
static void shrink(struct bpf_map *m, __u32 n)
{
	bpf_map__set_max_entries(m, n);
}

void fl_anat_configure(struct fl_session *t)
{
	const struct fl_opts *o = &t->o;
	struct flushlat *sk = t->skel;
	long page = sysconf(_SC_PAGESIZE);

	sk->rodata->an_on = o->breakdown;
	sk->rodata->an_sys_hooks = o->syscalls;
	/* the longest-blocked stack is only shown in slow records */
	sk->rodata->an_max_stack = o->breakdown && o->slow;
	sk->rodata->an_fold = o->folded != NULL;
	sk->rodata->slow_on = o->slow;
	sk->rodata->slow_ns = o->slow_ns;
	sk->rodata->top_n = (__u32)o->top;
	sk->rodata->stuck_on = o->stuck_ns != 0;
	bpf_program__set_autoload(sk->progs.an_switch, o->breakdown);
	bpf_program__set_autoload(sk->progs.an_sys_enter, o->syscalls);
	bpf_program__set_autoload(sk->progs.an_sys_exit, o->syscalls);
	bpf_program__set_autoload(sk->progs.an_stuck_iter, o->stuck_ns != 0);
	if (!o->breakdown) {
		shrink(sk->maps.an_spans, 1);
		shrink(sk->maps.an_thr, 1);
		shrink(sk->maps.an_tail, 1);
		shrink(sk->maps.an_tail_hist, 1);
	}
	if (!o->folded) {
		shrink(sk->maps.an_stacks, 1);
		shrink(sk->maps.an_foldmap, 1);
	}
	if (o->slow)
		shrink(sk->maps.an_events, o->slow_buffer_kb * 1024u);
	else
		shrink(sk->maps.an_events, (__u32)(page > 0 ? page : 4096));
}

static void *map_view(struct bpf_map *m, size_t n, size_t *len, int prot)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	*len = (n + (size_t)page - 1) / (size_t)page * (size_t)page;
	p = mmap(NULL, *len, prot, MAP_SHARED, bpf_map__fd(m), 0);
	return p == MAP_FAILED ? NULL : p;
}

static int open_maps(struct fl_anat *a)
{
	struct flushlat *sk = a->skel;

	a->all_fd = bpf_map__fd(sk->maps.an_all);
	a->hist_fd = bpf_map__fd(sk->maps.an_hist);
	a->thist_fd = bpf_map__fd(sk->maps.an_tail_hist);
	a->top_fd = bpf_map__fd(sk->maps.an_top);
	a->cnt_fd = bpf_map__fd(sk->maps.an_counters);
	a->fold_fd = bpf_map__fd(sk->maps.an_foldmap);
	a->stacks_fd = bpf_map__fd(sk->maps.an_stacks);
	a->events_fd = bpf_map__fd(sk->maps.an_events);
	a->all_stride = (sizeof(struct fl_an_all) + 7) / 8 * 8;
	a->cnt_buf = calloc((size_t)a->ncpu, sizeof(uint64_t));
	if (!a->cnt_buf)
		return -ENOMEM;
	if (!a->breakdown)
		return 0;
	a->all_buf = calloc((size_t)a->ncpu, a->all_stride);
	a->hist_buf = malloc(sizeof(*a->hist_buf));
	a->tkeys = calloc(FL_AN_TAIL_HIST, sizeof(*a->tkeys));
	a->tvals = calloc(FL_AN_TAIL_HIST, sizeof(*a->tvals));
	if (!a->all_buf || !a->hist_buf || !a->tkeys || !a->tvals)
		return -ENOMEM;
	a->tail = map_view(sk->maps.an_tail, FL_AN_TAIL_SUMS * sizeof(struct fl_an_sums),
			   &a->tail_len, PROT_READ);
	a->spans = map_view(sk->maps.an_spans, FL_INFLIGHT_SLOTS * sizeof(struct fl_an_span),
			    &a->spans_len, PROT_READ | PROT_WRITE);
	a->thr = map_view(sk->maps.an_thr, FL_AN_THREADS * sizeof(struct fl_an_thr), &a->thr_len,
			  PROT_READ | PROT_WRITE);
	return a->tail && a->spans && a->thr ? 0 : -errno;
}

/* Kernel stacks are named only where they are shown: slow records, --stuck, --folded. */
static int wants_ksyms(const struct fl_opts *o)
{
	return (o->breakdown && o->slow) || o->folded || o->stuck_ns;
}

int fl_anat_open(struct fl_session *t)
{
	const struct fl_opts *o = &t->o;
	struct fl_anat *a;
	char msg[256];
	int err;

	if (!fl_anat_wanted(t))
		return 0;
	a = t->anat = calloc(1, sizeof(*a));
	if (!a) {
		fl_err("out of memory");
		return -1;
	}
	a->t = t;
	a->skel = t->skel;
	a->timer_fd = -1;
	a->breakdown = o->breakdown;
	a->syscalls = o->syscalls;
	a->slow = o->slow;
	a->slow_ns = o->slow_ns;
	a->stuck = o->stuck_ns != 0;
	a->stuck_ns = o->stuck_ns;
	a->top_n = o->top;
	a->folded_on = o->folded != NULL;
	a->format = o->format;
	strbuf_init(&a->pending);
	a->ncpu = libbpf_num_possible_cpus();
	if (a->ncpu <= 0) {
		fl_err("cannot count the possible CPUs");
		return -1;
	}
	err = open_maps(a);
	if (err) {
		fl_err("cannot set up the anatomy maps: %s", strerror(-err));
		return -1;
	}
	if (wants_ksyms(o)) {
		/* now, while privileged: unprivileged readers see every address as 0 */
		a->ks = fl_ksyms_load(msg, sizeof(msg));
		if (!a->ks)
			fl_err("warning: %s", msg);
	}
	if (a->stuck) {
		a->stuck_k = calloc(FL_INFLIGHT_SLOTS, sizeof(*a->stuck_k));
		a->stuck_key = calloc(FL_INFLIGHT_SLOTS, sizeof(*a->stuck_key));
		if (!a->stuck_k || !a->stuck_key) {
			fl_err("out of memory");
			return -1;
		}
	}
	if (a->slow || a->stuck) {
		a->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (a->timer_fd < 0) {
			fl_err("cannot create a timer: %s", strerror(errno));
			return -1;
		}
	}
	return fl_anat_open_ring(a);
}

static int attach_hook(struct fl_anat *a, struct bpf_program *p, const char *what)
{
	struct bpf_link *l = bpf_program__attach(p);

	if (!l) {
		fl_err("cannot attach the %s hook: %s (-v: libbpf's log)", what,
			strerror(errno));
		return -1;
	}
	a->links[a->nlinks++] = l;
	return 0;
}

int fl_anat_attach(struct fl_session *t)
{
	struct fl_anat *a = t->anat;
	struct flushlat *sk = t->skel;

	if (!a)
		return 0;
	/* before the probes: a span must never open without its hooks */
	if (a->breakdown && attach_hook(a, sk->progs.an_switch, "tp_btf/sched_switch"))
		return -1;
	if (a->syscalls && (attach_hook(a, sk->progs.an_sys_enter, "tp_btf/sys_enter") ||
			    attach_hook(a, sk->progs.an_sys_exit, "tp_btf/sys_exit")))
		return -1;
	if (a->stuck) {
		/* the link now, while privileged; iterators are opened from it later */
		a->iter = bpf_program__attach_iter(sk->progs.an_stuck_iter, NULL);
		if (!a->iter) {
			fl_err("--stuck: cannot create the task iterator: %s",
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

int fl_anat_open_files(struct fl_session *t)
{
	struct fl_anat *a = t->anat;

	if (!a || !t->o.folded)
		return 0;
	a->folded = fopen(t->o.folded, "we");
	if (!a->folded) {
		fl_err("cannot open --folded %s: %s", t->o.folded,
			strerror(errno));
		return -1;
	}
	return 0;
}

void fl_anat_detach(struct fl_anat *a)
{
	if (!a)
		return;
	while (a->nlinks)
		bpf_link__destroy(a->links[--a->nlinks]);
	bpf_link__destroy(a->iter);
	a->iter = NULL;
}

void fl_anat_close(struct fl_anat *a)
{
	if (!a)
		return;
	fl_anat_detach(a);
	if (a->tail)
		munmap((void *)a->tail, a->tail_len);
	if (a->spans)
		munmap(a->spans, a->spans_len);
	if (a->thr)
		munmap(a->thr, a->thr_len);
	if (a->timer_fd >= 0)
		close(a->timer_fd);
	if (a->folded)
		fclose(a->folded);
	ring_buffer__free(a->rb);
	fl_ksyms_free(a->ks);
	strbuf_free(&a->pending);
	free(a->all_buf);
	free(a->hist_buf);
	free(a->cnt_buf);
	free(a->tkeys);
	free(a->tvals);
	free(a->stuck_k);
	free(a->stuck_key);
	free(a->sfold);
	free(a);
}

int fl_anat_progs(const struct fl_anat *a, int *fds, const char **names, int max)
{
	static const char *const hook_names[3] = { "an_switch", "an_sys_enter", "an_sys_exit" };
	struct bpf_program *p[3];
	int n = 0;

	if (!a)
		return 0;
	p[0] = a->skel->progs.an_switch;
	p[1] = a->skel->progs.an_sys_enter;
	p[2] = a->skel->progs.an_sys_exit;
	for (int i = 0; i < 3 && n < max; i++) {
		if ((i == 0 && !a->breakdown) || (i > 0 && !a->syscalls))
			continue;
		fds[n] = bpf_program__fd(p[i]);
		names[n++] = hook_names[i];
	}
	return n;
}

/* ---- reading ------------------------------------------------------------ */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int read_counters(struct fl_anat *a, uint64_t *c)
{
	for (__u32 i = 0; i < FL_AN_CNT_NR; i++) {
		c[i] = 0;
		if (bpf_map_lookup_elem(a->cnt_fd, &i, a->cnt_buf))
			return -errno;
		for (int k = 0; k < a->ncpu; k++)
			c[i] += a->cnt_buf[k];
	}
	return 0;
}

static void sums_from_bpf(struct fl_bd_sums *o, const struct fl_an_sums *s)
{
	o->flushes = s->flushes;
	o->wall_ns = s->wall_ns;
	for (int c = 0; c < FL_COMP_NR; c++) {
		o->comp_ns[c] = s->comp[c];
		o->comp_max[c] = s->comp_max[c];
	}
	for (int i = 0; i < FL_SYS_NR; i++) {
		o->sys_off_ns[i] = s->sys_off[i];
		o->sys_blocked[i] = s->sys_blk[i];
		o->sys_ns[i] = s->sys_ns[i];
		o->sys_calls[i] = s->sys_cnt[i];
	}
}

/*
 * The all-flushes histograms, then the per-CPU sums, added up (maxima: the
 * largest).  In this order: BPF adds a flush to the sums first and to the
 * histograms last, so every flush of the histograms read is in the sums read.
 */
static int read_all(struct fl_anat *a, struct fl_breakdown *b)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(a->hist_fd, &zero, a->hist_buf))
		return -errno;
	memcpy(b->all.hist, a->hist_buf->h, sizeof(b->all.hist));
	if (bpf_map_lookup_elem(a->all_fd, &zero, a->all_buf))
		return -errno;
	for (int k = 0; k < a->ncpu; k++) {
		const struct fl_an_all *v =
			(const struct fl_an_all *)((const char *)a->all_buf + (size_t)k * a->all_stride);
		struct fl_bd_sums s;
		struct fl_bd_checks *c = &b->checks;

		sums_from_bpf(&s, &v->s);
		fl_bd_sums_add(&b->all.s, &s);
		c->cross_thread += v->cross;
		c->run_delay_ns += v->rd_delta;
		c->runq_ns += v->rd_runq;
		c->clamped_ns += v->clamp_ns;
		c->unseen_runq_ns += v->noinfo_ns;
		c->on_cpu_rd_ns += v->rdjump_ns;
		c->missed_switch_in += v->missed_in;
		c->retries += v->retries;
		c->races += v->races;
		c->queued_estimates += v->queued;
		c->fold_lost_ns += v->fold_lost_ns;
	}
	return 0;
}

/* The tail cells, read in place through the mapping; sorted by index already. */
static int read_cells(struct fl_anat *a, struct fl_breakdown *b)
{
	size_t n = 0;

	for (size_t i = 0; i < FL_AN_TAIL_SUMS; i++)
		n += a->tail[i].flushes != 0;
	b->cells = n ? calloc(n, sizeof(*b->cells)) : NULL;
	if (n && !b->cells)
		return -ENOMEM;
	for (size_t i = 0, k = 0; i < FL_AN_TAIL_SUMS && k < n; i++) {
		struct fl_an_sums v = a->tail[i];

		if (!v.flushes)
			continue;
		b->cells[k].idx = (uint32_t)i;
		sums_from_bpf(&b->cells[k++].s, &v);
	}
	b->ncells = n;
	return 0;
}

static int cmp_hcell(const void *x, const void *y)
{
	const struct fl_bd_hcell *a = x, *b = y;

	return a->key < b->key ? -1 : a->key > b->key;
}

/* The tail histogram hash, in batches. */
static int read_hcells(struct fl_anat *a, struct fl_breakdown *b)
{
	struct bpf_map_batch_opts opts = { .sz = sizeof(opts) };
	__u32 batch = 0, count;
	size_t n = 0;
	void *in = NULL;
	int err;

	do {
		count = FL_AN_TAIL_HIST - (__u32)n;
		if (!count)
			break;
		err = bpf_map_lookup_batch(a->thist_fd, in, &batch, a->tkeys + n, a->tvals + n,
					   &count, &opts);
		n += count;
		in = &batch;
	} while (!err);
	if (err && errno != ENOENT)
		return -errno;
	if (!n)
		return 0;
	b->hcells = calloc(n, sizeof(*b->hcells));
	if (!b->hcells)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct fl_an_tkey *k = &a->tkeys[i];

		b->hcells[i].key = FL_BD_HKEY(k->db, k->over & 1, k->comp & 3, k->vb & 1023);
		b->hcells[i].count = a->tvals[i];
	}
	qsort(b->hcells, n, sizeof(*b->hcells), cmp_hcell);
	b->nhcells = n;
	return 0;
}

static int read_breakdown(struct fl_anat *a, const uint64_t *cnt, struct fl_anatomy *an)
{
	struct fl_breakdown *b = an->bd = fl_breakdown_new();
	int err;

	if (!b)
		return -ENOMEM;
	b->method = a->syscalls ? FL_SYSM_HOOKS : FL_SYSM_SWITCH;
	err = read_all(a, b);
	if (!err)
		err = read_cells(a, b);
	if (!err)
		err = read_hcells(a, b);
	if (err)
		return err;
	b->checks.not_anatomised =
		cnt[FL_AN_CNT_THR_FULL] + cnt[FL_AN_CNT_SPAN_BUSY] + cnt[FL_AN_CNT_NESTED];
	b->checks.stack_errors = cnt[FL_AN_CNT_STACK_ERR];
	b->checks.missed_switch_out = cnt[FL_AN_CNT_MISSED_OUT];
	b->open_spans = __atomic_load_n(&a->skel->bss->spans_open, __ATOMIC_RELAXED);
	b->checks.tail_lost = cnt[FL_AN_CNT_TAIL_FULL];
	fl_breakdown_pick_tail(b, a->slow ? FL_SLOW_FIXED : FL_SLOW_P99, a->slow_ns);
	return 0;
}

static int cmp_top(const void *x, const void *y)
{
	const struct fl_top_entry *a = x, *b = y;

	if (a->duration_ns != b->duration_ns)
		return a->duration_ns > b->duration_ns ? -1 : 1;
	return a->start_ns < b->start_ns ? -1 : a->start_ns > b->start_ns;
}

/* The top list, read when no update is in progress (same copy twice, lock free). */
static int read_top(struct fl_anat *a, struct fl_anatomy *an)
{
	static struct fl_top v1, v2; /* under the reader's lock */
	__u32 zero = 0;
	int ok = 0;

	for (int i = 0; i < 100 && !ok; i++) {
		if (bpf_map_lookup_elem(a->top_fd, &zero, &v1) ||
		    bpf_map_lookup_elem(a->top_fd, &zero, &v2))
			return -errno;
		ok = !v1.lock && !(v1.seq & 1) && !memcmp(&v1, &v2, sizeof(v1));
	}
	an->ntop = v1.n < (__u32)a->top_n ? v1.n : (size_t)a->top_n;
	for (size_t i = 0; i < an->ntop; i++) {
		an->top[i].pid = v1.e[i].pid;
		an->top[i].tid = v1.e[i].tid;
		an->top[i].start_ns = v1.e[i].start_ns;
		an->top[i].duration_ns = v1.e[i].duration_ns;
	}
	qsort(an->top, an->ntop, sizeof(an->top[0]), cmp_top);
	return 0;
}

static uint64_t count_stuck(const struct fl_anat *a, const volatile struct fl_inflight_slot *slots)
{
	uint64_t n = 0, now = mono_ns();

	for (__u32 i = 0; slots && i < FL_INFLIGHT_SLOTS; i++) {
		uint64_t k = slots[i].kstart_ns;

		if (slots[i].start_ns && k && now > k && now - k >= a->stuck_ns)
			n++;
	}
	return n;
}

int fl_anat_read(struct fl_anat *a, const volatile struct fl_inflight_slot *slots,
		 struct fl_snapshot *s)
{
	uint64_t cnt[FL_AN_CNT_NR] = { 0 };
	struct fl_anatomy *an;
	int err;

	if (!a)
		return 0;
	an = s->an = fl_anatomy_new();
	if (!an)
		return -ENOMEM;
	err = read_counters(a, cnt);
	if (err)
		return err;
	an->slow_on = a->slow;
	an->slow_ns = a->slow_ns;
	an->slow_flushes = cnt[FL_AN_CNT_SLOW];
	an->slow_dropped = cnt[FL_AN_CNT_SLOW_DROP];
	an->top_n = a->top_n;
	an->top_missed = cnt[FL_AN_CNT_TOP_MISSED];
	an->stuck_on = a->stuck;
	an->stuck_ns = a->stuck_ns;
	if (a->stuck)
		an->stuck = count_stuck(a, slots);
	if (a->top_n && (err = read_top(a, an)))
		return err;
	if (a->breakdown)
		return read_breakdown(a, cnt, an);
	return 0;
}

/* Drops one span of thread entry ti (thread tid), as span_release() does in BPF. */
static void release(struct fl_anat *a, uint32_t ti, uint32_t tid)
{
	uint64_t *own = (uint64_t *)&a->skel->bss->an_own[ti];
	uint64_t *free_ts = (uint64_t *)&a->skel->bss->an_free_ts[ti];

	__atomic_fetch_sub((uint32_t *)&a->skel->bss->spans_open, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_sub((uint32_t *)&a->skel->bss->tidcnt[tid & (FL_AN_FILTER - 1)], 1,
			   __ATOMIC_SEQ_CST);
	if ((__atomic_load_n(own, __ATOMIC_ACQUIRE) & FL_AN_REF_MASK) == 1)
		__atomic_store_n(free_ts, mono_ns(), __ATOMIC_RELEASE);
	__atomic_fetch_sub(own, 1, __ATOMIC_SEQ_CST);
}

/*
 * A process died with a flush open (its in-flight slot idx, key and tid, is
 * being freed): its span would keep the sched_switch filter open for ever.
 * Close it the way a done would, on the shared mappings: no BPF program
 * touches a dead thread's entry or a span whose process is gone.  The span
 * is the thread entry's own one, or the span table's at idx.
 */
void fl_anat_slot_gone(struct fl_anat *a, uint32_t idx, uint32_t tgid, uint32_t tid, uint64_t key)
{
	uint32_t home = fl_an_thr_home(tid);
	struct fl_an_span *s;

	if (!a || !a->spans || !a->thr || idx >= FL_INFLIGHT_SLOTS)
		return;
	for (uint32_t i = 0; i < FL_AN_THR_PROBES; i++) {
		uint32_t ti = (home + i) & (FL_AN_THREADS - 1);
		uint64_t own = __atomic_load_n(&a->skel->bss->an_own[ti], __ATOMIC_ACQUIRE);
		struct fl_an_thr *e = &a->thr[ti];

		if ((own >> 32) != tid || !(own & FL_AN_REF_MASK) || (own & FL_AN_CLAIMING))
			continue;
		if (__atomic_load_n(&e->p_key, __ATOMIC_ACQUIRE) == key && e->p_tgid == tgid) {
			__atomic_store_n(&e->p_key, 0, __ATOMIC_RELEASE);
			release(a, ti, tid);
			return;
		}
	}
	s = &a->spans[idx];
	if (__atomic_load_n(&s->key, __ATOMIC_ACQUIRE) != key || s->tgid != tgid)
		return;
	release(a, s->thr_idx & (FL_AN_THREADS - 1), s->tid);
	__atomic_store_n(&s->key, 0, __ATOMIC_RELEASE);
}
