/* SPDX-License-Identifier: MIT */
/*
 * epoch.h - epoch rotation of the BPF record maps (bpf/record.bpf.h): the
 * MetaStore, the log-linear and native histograms and the exemplars have
 * two slots; BPF writes the slot of the current epoch.  A read flips the
 * epoch, waits until no update of the old slot is in progress, reads it,
 * folds it into the cumulative totals kept here and resets it.  So every
 * read sees whole flushes only (count, sum, histograms and exemplars from
 * the same updates), and what happened between two reads is known exactly,
 * min and max included.
 *
 * Several readers (the --interval output, /metrics) flip at their own
 * times.  Each folded epoch is added to every reader's own view, which that
 * reader takes and clears when it reads: one reader's flip never cuts
 * another's interval.  The window (--window) is global: the recent epochs,
 * whoever flipped them.
 *
 * Off (no --delta, --watch or --listen): BPF writes slot 0 only, which then is the
 * cumulative total, read without flipping (and nothing here is paid).
 */
#ifndef FLUSHLAT_EPOCH_H
#define FLUSHLAT_EPOCH_H

#include <stdint.h>

#include "flushlat.h"
#include "native.h"
#include "snapshot.h"

struct flushlat;

#define FL_EPOCH_CONSUMERS 4        /* = FL_READER_MAX_CONSUMERS */
#define FL_WINDOW_EPOCHS 1024       /* epochs kept for the window; older ones are merged */
#define FL_EPOCH_DRAIN_TIMEOUT_MS 1000 /* a read fails when an update takes longer */
#define FL_NATIVE_NONE (FL_NATIVE_SCHEMA_MIN - 1) /* --native-schema none */
/* Without rotation: readings of the MetaStore and histogram until they agree (a few us each). */
#define FL_READER_TRIES 4

struct fl_epochs_cfg {
	int on;            /* rotate (--delta, --watch or --listen) */
	int native_schema; /* FL_NATIVE_NONE: no native histogram (needs on) */
	int exemplars;     /* keep exemplars (needs on) */
	double window_s;   /* --window */
};

/* What one epoch saw, as the window keeps it. */
struct fl_window_epoch {
	uint64_t start_ns, end_ns; /* CLOCK_MONOTONIC */
	uint64_t samples, min_ns, max_ns;
};

/*
 * One reader's view: everything folded since it last read, and the
 * exemplars it shows: per log-linear bucket, the slowest flush of the
 * latest read interval that had one (kept until a newer one comes, so
 * every scraper sharing the reader sees them).
 */
struct fl_epoch_view {
	struct metastore ms;
	struct fl_exemplar *ex;    /* FL_HIST_NBUCKETS, NULL without exemplars */
	struct fl_exemplar *shown; /* likewise */
	uint64_t seq;              /* reads so far */
};

struct fl_epochs {
	struct fl_epochs_cfg cfg;
	int ncpu;
	int ms_fd, hist_fd, nh_fd, ex_fd;
	volatile __u64 *epoch;        /* in the BPF program's .bss (mmap'd) */
	__u64 *busy;                  /* likewise: epoch_busy (flushlat.h) */
	int pending;                  /* flipped, the old slot not drained yet */
	uint64_t flip_ns;             /* CLOCK_MONOTONIC of the last flip (or of the start) */
	uint64_t torn;                /* exemplar records dropped as torn (see fl_ex_rec) */
	/* the cumulative totals of every folded epoch */
	struct metastore total;
	uint64_t hist[FL_HIST_NBUCKETS];
	struct fl_native_geom geom;
	struct fl_native *native;     /* NULL without a native histogram */
	struct fl_epoch_view view[FL_EPOCH_CONSUMERS];
	struct fl_window_epoch *win;  /* oldest first */
	size_t nwin;
	/* scratch for one slot: ncpu copies of each map value, and zeros */
	struct metastore *ms_buf, *ms_seed;
	uint64_t *hist_buf, *nh_buf, *zero;
	struct fl_ex_rec *ex_buf;
	/* one epoch, read before it is added */
	uint64_t hist_epoch[FL_HIST_NBUCKETS];
	struct fl_native *native_epoch;
	struct fl_exemplar *ex_epoch;
};

/*
 * Before load: the BPF program's read-only switches and the sizes of the
 * maps that depend on them.  0, or -1 with a message (the schema's table).
 */
int fl_epochs_configure(struct flushlat *skel, const struct fl_epochs_cfg *cfg, char *err,
			size_t errlen);
/*
 * After load, before attaching: fills the native threshold table, seeds
 * both MetaStore slots as empty (min = UINT64_MAX) on every CPU and sets up
 * the buffers.  0, or -errno with what failed in err.
 */
int fl_epochs_open(struct fl_epochs *ep, struct flushlat *skel, const struct fl_epochs_cfg *cfg,
		   int ncpu, char *err, size_t errlen);
void fl_epochs_close(struct fl_epochs *ep);
/* Sum ncpu per-CPU arrays of n u64 (stride n), adding into out. */
void fl_sum_percpu(uint64_t *out, const uint64_t *percpu, size_t n, int ncpu);
/*
 * Fills s->ms, s->hist and, with rotation, s->interval (consumer's view,
 * then cleared), s->window/window_ns, s->native and s->ex.  Consumers
 * 0..nconsumers-1 are live.  The caller serialises calls.  0, or -errno
 * (-ETIMEDOUT: an update of the old slot outlived the drain timeout; the
 * next read retries it).
 */
int fl_epochs_read(struct fl_epochs *ep, int consumer, unsigned int nconsumers,
		   struct fl_snapshot *s);

#endif /* FLUSHLAT_EPOCH_H */
