/* SPDX-License-Identifier: MIT */
/* anatomy_priv.h - the state anatomy.c (set-up, reading) and slow.c (records) share. */
#ifndef FLUSHLAT_ANATOMY_PRIV_H
#define FLUSHLAT_ANATOMY_PRIV_H

#include <stdint.h>
#include <stdio.h>

#include "anatomy.h"
#include "anatomy_abi.h"
#include "render.h"
#include "strbuf.h"

struct flushlat;
struct bpf_link;
struct ring_buffer;
struct fl_ksyms;

/* blocked ns on one stack of the slow flushes (--folded with --slow) */
struct fl_fold_ent {
	int32_t stackid;
	uint16_t comp, sys;
	uint64_t ns;
};

struct fl_anat {
	/* what was asked */
	int breakdown, syscalls, slow, stuck, folded_on;
	int top_n;
	uint64_t slow_ns, stuck_ns;
	enum fl_format format;
	struct flushlat *skel;
	int ncpu;
	/* hooks */
	struct bpf_link *links[3];
	int nlinks;
	struct bpf_link *iter;
	/* maps */
	int all_fd, hist_fd, thist_fd, top_fd, cnt_fd, fold_fd, stacks_fd, events_fd;
	const struct fl_an_sums *tail;
	struct fl_an_span *spans;
	struct fl_an_thr *thr;
	size_t tail_len, spans_len, thr_len;
	/* read buffers (under the reader's lock) */
	struct fl_an_all *all_buf;  /* ncpu copies, 8-byte rounded */
	size_t all_stride;
	struct fl_an_hist *hist_buf;
	uint64_t *cnt_buf;
	struct fl_an_tkey *tkeys;
	uint64_t *tvals;
	/* records (the run loop only) */
	struct fl_session *t;
	struct fl_ksyms *ks;
	struct ring_buffer *rb;
	int timer_fd;
	uint64_t deadline;  /* the timer's (CLOCK_MONOTONIC), UINT64_MAX: not set */
	uint64_t consumed;  /* records handled since the last tick */
	int header_done;
	int werr;           /* a record could not be written */
	struct strbuf pending;
	uint32_t *stuck_k;  /* per in-flight slot: reports made for the flush in it */
	uint64_t *stuck_key;
	struct fl_fold_ent *sfold;
	size_t nsfold, capsfold;
	uint64_t sfold_lost;
	FILE *folded;
};

/* slow.c: the ring buffer of records (while privileged).  0, or -1 with a message. */
int fl_anat_open_ring(struct fl_anat *a);

#endif /* FLUSHLAT_ANATOMY_PRIV_H */
