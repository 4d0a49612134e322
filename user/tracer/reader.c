// SPDX-License-Identifier: MIT
/* reader.c - BPF maps -> fl_snapshot (merged with the core library). */
#include "reader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "anatomy.h"
#include "flushlat.skel.h"
#include "metastore.h"
#include "proc.h"

_Static_assert(sizeof(((struct fl_proc_value *)0)->comm) == FL_COMM_LEN,
	       "the BPF comm and the snapshot's comm are one size");
_Static_assert(FL_ERRNO_SLOTS == FL_FAILED_ERRNOS,
	       "the BPF failed map and the snapshot have the same errno slots");

static int map_inflight(struct fl_reader *r)
{
	size_t len = FL_INFLIGHT_SLOTS * sizeof(struct fl_inflight_slot);
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	len = (len + (size_t)page - 1) / (size_t)page * (size_t)page;
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, r->inflight_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	r->slots = p;
	r->slots_len = len;
	return 0;
}

static void add_prog(struct fl_reader *r, struct bpf_program *p, const char *name)
{
	r->prog_fds[r->nprogs] = bpf_program__fd(p);
	r->prog_names[r->nprogs++] = name;
}

int fl_reader_open(struct fl_reader *r, struct flushlat *skel, const struct fl_reader_cfg *cfg,
		   char *err, size_t errlen)
{
	int ret;

	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->cfg = *cfg;
	r->ncpu = libbpf_num_possible_cpus();
	if (r->ncpu <= 0) {
		snprintf(err, errlen, "cannot count the possible CPUs: %s", strerror(-r->ncpu));
		return r->ncpu ? r->ncpu : -EINVAL;
	}
	r->inflight_fd = bpf_map__fd(skel->maps.inflight);
	r->procs_fd = bpf_map__fd(skel->maps.procs);
	r->counters_fd = bpf_map__fd(skel->maps.counters);
	r->failed_fd = bpf_map__fd(skel->maps.failed);
	if (!cfg->lean)
		add_prog(r, skel->progs.meta_flush_start, "meta_flush_start");
	add_prog(r, skel->progs.meta_flush_done, "meta_flush_done");
	if (bpf_program__fd(skel->progs.meta_flush_failed) >= 0) /* loaded: some file has the probe */
		add_prog(r, skel->progs.meta_flush_failed, "meta_flush_failed");
	r->nprogs += fl_anat_progs(cfg->anat, r->prog_fds + r->nprogs, r->prog_names + r->nprogs,
				   FL_MAX_PROGS - r->nprogs);
	r->cnt_buf = calloc((size_t)r->ncpu, sizeof(uint64_t));
	r->failed_buf = calloc((size_t)r->ncpu, sizeof(*r->failed_buf));
	r->keys = calloc(FL_PROCS_MAX, sizeof(*r->keys));
	r->exited = calloc(FL_PROCS_MAX, sizeof(*r->exited));
	if (!r->cnt_buf || !r->failed_buf || !r->keys || !r->exited) {
		snprintf(err, errlen, "cannot set up the map reader: out of memory");
		return -ENOMEM;
	}
	ret = map_inflight(r);
	if (ret) {
		snprintf(err, errlen, "cannot map the in-flight table: %s", strerror(-ret));
		return ret;
	}
	return fl_epochs_open(&r->ep, skel, &cfg->epochs, r->ncpu, err, errlen);
}

void fl_reader_close(struct fl_reader *r)
{
	fl_epochs_close(&r->ep);
	free(r->cnt_buf);
	free(r->failed_buf);
	free(r->keys);
	free(r->exited);
	if (r->slots)
		munmap((void *)r->slots, r->slots_len);
	pthread_mutex_destroy(&r->lock);
	memset(r, 0, sizeof(*r));
}

void fl_reader_failed_unknown(struct fl_reader *r)
{
	pthread_mutex_lock(&r->lock);
	r->cfg.failed_known = 0;
	pthread_mutex_unlock(&r->lock);
}

int fl_reader_consumer(struct fl_reader *r, uint64_t keep_exited_ns)
{
	int id = -1;

	pthread_mutex_lock(&r->lock);
	if (r->nconsumers < FL_READER_MAX_CONSUMERS) {
		id = (int)r->nconsumers++;
		r->keep_ns[id] = keep_exited_ns;
	}
	pthread_mutex_unlock(&r->lock);
	return id;
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int read_counters(struct fl_reader *r, struct fl_snapshot *s)
{
	for (__u32 i = 0; i < FL_CNT_NR; i++) {
		uint64_t sum = 0;

		if (bpf_map_lookup_elem(r->counters_fd, &i, r->cnt_buf))
			return -errno;
		fl_sum_percpu(&sum, r->cnt_buf, 1, r->ncpu);
		if (i == FL_CNT_UNMATCHED)
			s->unmatched = sum;
		else
			s->dropped += sum; /* map full, or a CAS loop that gave up */
	}
	return 0;
}

/* Failed flushes by errno; a number without a name is counted as "other". */
static int read_failed(struct fl_reader *r, struct fl_snapshot *s)
{
	uint64_t sum[FL_ERRNO_SLOTS] = { 0 };
	__u32 zero = 0;

	s->failed_known = r->cfg.failed_known;
	if (bpf_map_lookup_elem(r->failed_fd, &zero, r->failed_buf))
		return -errno;
	fl_sum_percpu(sum, (const uint64_t *)r->failed_buf, FL_ERRNO_SLOTS, r->ncpu);
	for (__u32 i = 0; i < FL_ERRNO_SLOTS; i++)
		s->failed[strcmp(fl_errno_name(i), "other") ? i : 0] += sum[i];
	return 0;
}

/*
 * Count in-flight flushes and find the oldest, reading the slot table in
 * place through its mapping.  A slot whose process has exited (it crashed
 * mid-flush) is freed here: no BPF program writes a claimed slot but its
 * owner, so the write cannot race.
 */
static void read_inflight(struct fl_reader *r, struct fl_snapshot *s)
{
	static const struct fl_inflight_slot empty;
	uint64_t oldest = 0, now;

	now = now_ns(CLOCK_MONOTONIC); /* bpf_ktime_get_ns() is CLOCK_MONOTONIC */
	for (__u32 i = 0; i < FL_INFLIGHT_SLOTS; i++) {
		const volatile struct fl_inflight_slot *v = &r->slots[i];
		uint64_t start = v->start_ns, kstart = v->kstart_ns;
		uint32_t tgid = v->tgid;

		if (!start)
			continue;
		if (tgid && fl_proc_exited((pid_t)tgid)) {
			fl_anat_slot_gone(r->cfg.anat, i, tgid, v->tid, start); /* its span first */
			bpf_map_update_elem(r->inflight_fd, &i, &empty, BPF_EXIST);
			continue;
		}
		s->in_flight++;
		/* a slot being filled in has no kstart yet: it is brand new */
		if (kstart && (!oldest || kstart < oldest))
			oldest = kstart;
	}
	s->oldest_age_ns = oldest && now > oldest ? now - oldest : 0;
}

int fl_bpf_stats_sysctl(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "re");
	int v = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%d", &v) != 1)
		v = 0;
	fclose(f);
	return v == 1;
}

static struct fl_proc *proc_slot(struct fl_snapshot *s, size_t *cap)
{
	if (s->nprocs == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		struct fl_proc *np = realloc(s->procs, ncap * sizeof(*np));

		if (!np)
			return NULL;
		s->procs = np;
		*cap = ncap;
	}
	return &s->procs[s->nprocs];
}

/*
 * Keeps an exited process for the consumers that still have to report it:
 * the others, and this one too when it keeps exited processes for a while.
 */
static void retire(struct fl_reader *r, const struct fl_proc *p, int consumer)
{
	unsigned int all = (1u << r->nconsumers) - 1, pending = all;

	if (!r->keep_ns[consumer])
		pending &= ~(1u << consumer); /* reported now, by this very read */
	if (!pending)
		return;
	if (r->nexited == FL_PROCS_MAX) { /* bounded: the oldest goes */
		memmove(r->exited, r->exited + 1, (FL_PROCS_MAX - 1) * sizeof(*r->exited));
		r->nexited--;
	}
	r->exited[r->nexited].proc = *p;
	r->exited[r->nexited].pending = pending;
	r->exited[r->nexited].gone_ns = now_ns(CLOCK_MONOTONIC);
	r->nexited++;
}

/* The snapshot's first n processes include pid (live, or read as exited just now). */
static int has_pid(const struct fl_snapshot *s, size_t n, uint32_t pid, int live_only)
{
	for (size_t i = 0; i < n; i++)
		if (s->procs[i].pid == pid && (!live_only || !s->procs[i].exited))
			return 1;
	return 0;
}

/*
 * The exited processes this consumer still reports: once, or for keep_ns
 * after the exit (/metrics: every scraper of an HA pair sees the final
 * counts); then this consumer forgets them.
 */
static int add_exited(struct fl_reader *r, int consumer, struct fl_snapshot *s, size_t *cap)
{
	size_t nlive = s->nprocs, kept = 0;
	uint64_t now = now_ns(CLOCK_MONOTONIC), keep = r->keep_ns[consumer];

	for (size_t i = 0; i < r->nexited; i++) {
		struct fl_exited *e = &r->exited[i];

		/* a reused PID is the live process now: one series per pid */
		if ((e->pending & (1u << consumer)) && !has_pid(s, nlive, e->proc.pid, 0)) {
			struct fl_proc *p = proc_slot(s, cap);

			if (!p)
				return -ENOMEM;
			*p = e->proc;
			s->nprocs++;
		}
		if (!keep || now - e->gone_ns >= keep)
			e->pending &= ~(1u << consumer);
		if (e->pending && !has_pid(s, nlive, e->proc.pid, 1))
			r->exited[kept++] = *e;
	}
	r->nexited = kept;
	return 0;
}

/*
 * The per-process map: the keys are collected first, then read, and only
 * then are exited processes removed -- deleting while walking with
 * bpf_map_get_next_key() restarts the walk and lists entries twice.
 */
static int read_procs(struct fl_reader *r, int consumer, struct fl_snapshot *s)
{
	__u32 key, *prev = NULL;
	size_t nkeys = 0, cap = 0;

	while (nkeys < FL_PROCS_MAX && !bpf_map_get_next_key(r->procs_fd, prev, &key)) {
		r->keys[nkeys++] = key;
		prev = &r->keys[nkeys - 1];
	}
	for (size_t i = 0; i < nkeys; i++) {
		struct fl_proc_value v;
		struct fl_proc *p = proc_slot(s, &cap);

		if (!p)
			return -ENOMEM;
		if (bpf_map_lookup_elem(r->procs_fd, &r->keys[i], &v))
			continue;
		memset(p, 0, sizeof(*p));
		p->pid = r->keys[i];
		memcpy(p->comm, v.comm, sizeof(p->comm));
		p->ms = v.ms;
		p->exited = fl_proc_exited((pid_t)p->pid);
		s->nprocs++;
	}
	for (size_t i = 0; i < s->nprocs; i++) {
		if (!s->procs[i].exited)
			continue;
		retire(r, &s->procs[i], consumer);
		bpf_map_delete_elem(r->procs_fd, &s->procs[i].pid);
	}
	return add_exited(r, consumer, s, &cap);
}

static void read_progs(struct fl_reader *r, struct fl_snapshot *s)
{
	s->nprogs = 0;
	/* Without statistics run_time/run_cnt read 0: say nothing, not zero. */
	if (!r->cfg.stats_on && !fl_bpf_stats_sysctl())
		return;
	for (int i = 0; i < r->nprogs && i < FL_MAX_PROGS; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(r->prog_fds[i], &info, &len))
			continue;
		snprintf(s->progs[s->nprogs].name, sizeof(s->progs[0].name), "%s", r->prog_names[i]);
		s->progs[s->nprogs].run_time_ns = info.run_time_ns;
		s->progs[s->nprogs].run_cnt = info.run_cnt;
		s->nprogs++;
	}
}

int fl_reader_read(struct fl_reader *r, int consumer, struct fl_snapshot *s)
{
	int err;

	fl_snapshot_init(s);
	s->pid = r->cfg.target_pid;
	s->lean = r->cfg.lean;
	pthread_mutex_lock(&r->lock);
	s->taken_ns = now_ns(CLOCK_MONOTONIC);
	s->taken_realtime_ns = now_ns(CLOCK_REALTIME);
	err = fl_epochs_read(&r->ep, consumer, r->nconsumers, s);
	if (!err)
		err = read_counters(r, s);
	if (!err)
		err = read_failed(r, s);
	if (!err && !r->cfg.lean)
		read_inflight(r, s);
	if (!err && r->cfg.track_procs)
		err = read_procs(r, consumer, s);
	if (!err)
		err = fl_anat_read(r->cfg.anat, r->slots, s);
	read_progs(r, s);
	pthread_mutex_unlock(&r->lock);
	if (err)
		fl_snapshot_free(s);
	return err;
}
