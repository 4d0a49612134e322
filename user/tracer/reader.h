/* SPDX-License-Identifier: MIT */
/*
 * reader.h - read the tracer's BPF maps into one merged fl_snapshot.  Works
 * on map and program file descriptors only, so it keeps working after the
 * tracer has dropped its capabilities.  Thread-safe: the HTTP exporter reads
 * at scrape time while the main loop reads on its interval.
 *
 * Each reader of snapshots is a registered consumer.  A process that exits
 * is reported to every consumer once more (or, for /metrics, for a while),
 * with its final counts, and only then forgotten: its map entry is removed
 * at once (the map stays free for new processes), its last values are kept
 * here until every consumer is done with them.
 */
#ifndef FLUSHLAT_READER_H
#define FLUSHLAT_READER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "epoch.h"
#include "flushlat.h"
#include "snapshot.h"

struct flushlat;
struct fl_anat;

#define FL_READER_MAX_CONSUMERS FL_EPOCH_CONSUMERS

struct fl_reader_cfg {
	int lean;        /* no start probe: in-flight and unmatched unknown */
	int track_procs; /* the per-process map is in use (-b, --lib) */
	int target_pid;  /* reported as "pid"; -1 when several processes */
	int stats_on;    /* kernel BPF program statistics are being collected */
	struct fl_epochs_cfg epochs; /* rotation, native histogram, exemplars, window */
	struct fl_anat *anat; /* the flush anatomy's maps, NULL when not asked for */
	int failed_known; /* meta_flush_failed is attached in every file */
};

/* A process that exited, kept until every consumer has reported it. */
struct fl_exited {
	struct fl_proc proc;
	unsigned int pending; /* bit per consumer that still reports it */
	uint64_t gone_ns;     /* CLOCK_MONOTONIC when its exit was seen */
};

struct fl_reader {
	struct fl_reader_cfg cfg;
	int ncpu;
	int inflight_fd, procs_fd, counters_fd, failed_fd;
	int nprogs;
	int prog_fds[FL_MAX_PROGS];
	const char *prog_names[FL_MAX_PROGS];
	unsigned int nconsumers;
	uint64_t keep_ns[FL_READER_MAX_CONSUMERS]; /* per consumer: report exits this long (0: once) */
	struct fl_exited *exited; /* FL_PROCS_MAX entries */
	size_t nexited;
	pthread_mutex_t lock;
	struct fl_epochs ep;      /* the record maps: MetaStore, histograms, exemplars */
	uint64_t *cnt_buf;        /* ncpu */
	struct fl_failed *failed_buf; /* ncpu */
	uint32_t *keys;           /* FL_PROCS_MAX: the keys of one walk of the procs map */
	const volatile struct fl_inflight_slot *slots; /* the in-flight map, mmap'd read-only */
	size_t slots_len;
};

/*
 * Sets the reader up on a loaded skeleton: its own fds, buffers and the
 * in-flight table's mapping, and the record maps (epoch.h: every CPU's
 * MetaStore seeded as empty, min = UINT64_MAX), before anything is
 * attached.  0, or -errno with what failed in err.
 */
int fl_reader_open(struct fl_reader *r, struct flushlat *skel, const struct fl_reader_cfg *cfg,
		   char *err, size_t errlen);
void fl_reader_close(struct fl_reader *r);
/* Failed flushes are unknown from now on (a file without the failed probe was attached). */
void fl_reader_failed_unknown(struct fl_reader *r);
/*
 * Registers one more reader of snapshots; returns its id (>= 0) or -1.  It
 * reports an exited process once (keep_exited_ns 0), or in every read
 * during keep_exited_ns after the exit was seen.
 */
int fl_reader_consumer(struct fl_reader *r, uint64_t keep_exited_ns);
/*
 * Reads and merges every map into s (s->procs allocated; free with
 * fl_snapshot_free) for consumer id.  In-flight entries of processes that
 * no longer exist are freed (a crashed recorder's open flush is not
 * reported forever).  Returns 0 or -errno.
 */
int fl_reader_read(struct fl_reader *r, int consumer, struct fl_snapshot *s);
/* 1 when kernel.bpf_stats_enabled is set (or held on by an enable fd). */
int fl_bpf_stats_sysctl(void);

#endif /* FLUSHLAT_READER_H */
