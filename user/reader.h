/* SPDX-License-Identifier: MIT */
/*
 * reader.h - read the tracer's BPF maps into one merged fl_snapshot.  Works
 * on map and program file descriptors only, so it keeps working after the
 * tracer has dropped its capabilities.  Thread-safe (the HTTP exporter reads
 * at scrape time while the main loop reads on its interval).
 */
#ifndef FLUSHLAT_READER_H
#define FLUSHLAT_READER_H

#include <pthread.h>
#include <stdint.h>

#include "flushlat.h"
#include "snapshot.h"

struct fl_reader {
	int ncpu;
	int metastore_fd, hist_fd, inflight_fd, procs_fd, counters_fd;
	int nprogs;
	int prog_fds[FL_MAX_PROGS];
	const char *prog_names[FL_MAX_PROGS];
	int target_pid;     /* reported as "pid"; -1 when several processes */
	int lean;           /* no start probe: in-flight and unmatched unknown */
	int stats_on;       /* kernel BPF program statistics are being collected */
	/* Last known comm per pid: a process that exited is still named. */
	struct { uint32_t pid; char comm[16]; } comms[64];
	unsigned int ncomms;
	pthread_mutex_t lock;
	struct metastore *ms_buf; /* ncpu copies */
	uint64_t *hist_buf;       /* ncpu * FL_HIST_NBUCKETS */
	uint64_t *cnt_buf;        /* ncpu */
	const volatile struct fl_inflight_slot *slots_mmap; /* the map itself, read-only */
	size_t slots_mmap_len;
};

/* Allocates the per-CPU read buffers; fds are filled in by the caller. */
int fl_reader_init(struct fl_reader *r, int ncpu);
void fl_reader_free(struct fl_reader *r);
/* Maps the in-flight table read-only; after the fds are set.  0 or -errno. */
int fl_reader_map_inflight(struct fl_reader *r);
/* Seeds every CPU's MetaStore copy as empty (min = UINT64_MAX); before attach. */
int fl_reader_seed(struct fl_reader *r);
/*
 * Reads and merges every map into s (s->procs allocated; free with
 * fl_snapshot_free).  Entries of processes that no longer exist are pruned
 * from the in-flight and per-process maps, so a crashed recorder's open
 * flush is not reported forever and exited PIDs do not pile up as series.
 * Returns 0 or -errno.
 */
int fl_reader_read(struct fl_reader *r, struct fl_snapshot *s);
/* 1 when kernel.bpf_stats_enabled is set (or held on by an enable fd). */
int fl_bpf_stats_sysctl(void);
/* Remembers the comm of every process seen so far (new PIDs only: cheap). */
void fl_reader_note_comms(struct fl_reader *r);

#endif /* FLUSHLAT_READER_H */
