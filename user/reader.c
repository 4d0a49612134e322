// SPDX-License-Identifier: MIT
/* reader.c - BPF maps -> fl_snapshot (merge with the core library). */
#include "reader.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>

#include "flushlat.h"
#include "json.h"
#include "maps.h"
#include "metastore.h"
#include "target.h"

int fl_reader_init(struct fl_reader *r, int ncpu)
{
	memset(r, 0, sizeof(*r));
	r->ncpu = ncpu;
	r->target_pid = -1;
	r->ms_buf = aligned_alloc(FL_CACHELINE, (size_t)ncpu * sizeof(struct metastore));
	r->hist_buf = calloc((size_t)ncpu * FL_HIST_NBUCKETS, sizeof(uint64_t));
	r->cnt_buf = calloc((size_t)ncpu, sizeof(uint64_t));
	pthread_mutex_init(&r->lock, NULL);
	if (!r->ms_buf || !r->hist_buf || !r->cnt_buf) {
		fl_reader_free(r);
		return -ENOMEM;
	}
	return 0;
}

void fl_reader_free(struct fl_reader *r)
{
	free(r->ms_buf);
	free(r->hist_buf);
	free(r->cnt_buf);
	if (r->slots_mmap)
		munmap((void *)r->slots_mmap, r->slots_mmap_len);
	r->slots_mmap = NULL;
	r->ms_buf = NULL;
	r->hist_buf = NULL;
	r->cnt_buf = NULL;
	pthread_mutex_destroy(&r->lock);
}

int fl_reader_map_inflight(struct fl_reader *r)
{
	size_t len = FL_INFLIGHT_SLOTS * sizeof(struct fl_inflight_slot);
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	len = (len + (size_t)page - 1) / (size_t)page * (size_t)page;
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, r->inflight_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	r->slots_mmap = p;
	r->slots_mmap_len = len;
	return 0;
}

int fl_reader_seed(struct fl_reader *r)
{
	__u32 zero = 0;

	for (int i = 0; i < r->ncpu; i++)
		metastore_init(&r->ms_buf[i]);
	return bpf_map_update_elem(r->metastore_fd, &zero, r->ms_buf, BPF_ANY) ? -errno : 0;
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
		fl_merge_u64(&sum, r->cnt_buf, 1, r->ncpu);
		if (i == FL_CNT_UNMATCHED)
			s->unmatched = sum;
		else
			s->dropped += sum; /* map full, or a CAS loop that gave up */
	}
	return 0;
}

/*
 * Count in-flight flushes and find the oldest, in one batched read of the
 * slot table.  A slot whose process is gone (it crashed mid-flush) is freed
 * here: no BPF program writes a claimed slot but its owner, so the write
 * cannot race.
 */
static int read_inflight(struct fl_reader *r, struct fl_snapshot *s)
{
	static const struct fl_inflight_slot empty;
	uint64_t oldest = 0, now;

	now = now_ns(CLOCK_MONOTONIC); /* bpf_ktime_get_ns() is CLOCK_MONOTONIC */
	/* read in place through the mmap: a batch lookup cost ~1.7 ms per scrape */
	for (__u32 i = 0; i < FL_INFLIGHT_SLOTS; i++) {
		const volatile struct fl_inflight_slot *v = &r->slots_mmap[i];
		uint64_t start = v->start_ns, kstart = v->kstart_ns;
		uint32_t tgid = v->tgid;

		if (!start)
			continue;
		if (tgid && fl_pid_gone(tgid)) {
			bpf_map_update_elem(r->inflight_fd, &i, &empty, BPF_EXIST);
			continue;
		}
		s->in_flight++;
		/* a slot being filled in has no kstart yet: it is brand new */
		if (kstart && (!oldest || kstart < oldest))
			oldest = kstart;
	}
	s->oldest_age_ns = oldest && now > oldest ? now - oldest : 0;
	return 0;
}

/* The cached comm of pid, NULL if it was never seen alive. */
static const char *comm_cached(const struct fl_reader *r, uint32_t pid)
{
	const unsigned int ncache = sizeof(r->comms) / sizeof(r->comms[0]);

	for (unsigned int i = 0; i < r->ncomms && i < ncache; i++)
		if (r->comms[i].pid == pid)
			return r->comms[i].comm;
	return NULL;
}

/* comm from /proc (remembered), else the last one seen for pid (it may have exited). */
static void read_comm(struct fl_reader *r, uint32_t pid, char *comm, size_t len)
{
	const unsigned int ncache = sizeof(r->comms) / sizeof(r->comms[0]);
	const char *cached = comm_cached(r, pid);
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	f = fopen(path, "re");
	if (f && fgets(comm, (int)len, f)) {
		comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
		if (!cached) {
			r->comms[r->ncomms % ncache].pid = pid;
			snprintf(r->comms[r->ncomms % ncache].comm, sizeof(r->comms[0].comm), "%s",
				 comm);
			r->ncomms++;
		}
		return;
	}
	if (f)
		fclose(f);
	snprintf(comm, len, "%s", cached ? cached : "?");
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

static int read_procs(struct fl_reader *r, struct fl_snapshot *s)
{
	__u32 key, next, *prev = NULL;
	size_t cap = 0;

	while (!bpf_map_get_next_key(r->procs_fd, prev, &next)) {
		struct fl_proc *p;

		key = next;
		prev = &key;
		if (s->nprocs == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct fl_proc *np = realloc(s->procs, ncap * sizeof(*np));

			if (!np)
				return -ENOMEM;
			s->procs = np;
			cap = ncap;
		}
		p = &s->procs[s->nprocs];
		memset(p, 0, sizeof(*p));
		if (bpf_map_lookup_elem(r->procs_fd, &key, &p->ms))
			continue;
		p->pid = key;
		read_comm(r, key, p->comm, sizeof(p->comm));
		s->nprocs++;
		/*
		 * An exited process is reported one last time, then removed:
		 * its flushes stay in the MetaStore totals, but its series do
		 * not live forever (bounded label cardinality).
		 */
		if (fl_pid_gone(key))
			bpf_map_delete_elem(r->procs_fd, &key);
	}
	return 0;
}

static void read_progs(struct fl_reader *r, struct fl_snapshot *s)
{
	s->nprogs = 0;
	/* Without statistics run_time/run_cnt read 0: say nothing, not zero. */
	if (!r->stats_on && !fl_bpf_stats_sysctl())
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

int fl_reader_read(struct fl_reader *r, struct fl_snapshot *s)
{
	__u32 zero = 0;
	int err = 0;

	memset(s, 0, sizeof(*s));
	metastore_init(&s->ms);
	s->pid = r->target_pid;
	pthread_mutex_lock(&r->lock);
	s->taken_ns = now_ns(CLOCK_MONOTONIC);
	s->taken_realtime_ns = now_ns(CLOCK_REALTIME);
	if (bpf_map_lookup_elem(r->metastore_fd, &zero, r->ms_buf)) {
		err = -errno;
		goto out;
	}
	metastore_merge(&s->ms, r->ms_buf, (size_t)r->ncpu);
	if (bpf_map_lookup_elem(r->hist_fd, &zero, r->hist_buf)) {
		err = -errno;
		goto out;
	}
	fl_merge_u64(s->hist, r->hist_buf, FL_HIST_NBUCKETS, r->ncpu);
	err = read_counters(r, s);
	if (!err && !r->lean)
		err = read_inflight(r, s);
	if (!err)
		err = read_procs(r, s);
	read_progs(r, s);
out:
	pthread_mutex_unlock(&r->lock);
	if (err)
		fl_snapshot_free(s);
	return err;
}

void fl_reader_note_comms(struct fl_reader *r)
{
	__u32 key, next, *prev = NULL;
	char comm[16];

	pthread_mutex_lock(&r->lock);
	/* only new PIDs cost a /proc read: cheap enough to run every 100 ms */
	while (!bpf_map_get_next_key(r->procs_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (!comm_cached(r, key))
			read_comm(r, key, comm, sizeof(comm));
	}
	pthread_mutex_unlock(&r->lock);
}
