/* SPDX-License-Identifier: MIT */
/*
 * records.h - the event records flushlat prints as they happen, between
 * snapshots on the same stream: a slow flush (--slow: one per flush at or
 * over the threshold, as it completes) and a stuck flush (--stuck: one per
 * flush still in flight past the threshold).  Text is one line per record
 * in the style of bcc's *slower tools; JSON is one object per line with
 * "type" first.
 */
#ifndef FLUSHLAT_RECORDS_H
#define FLUSHLAT_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "breakdown.h"
#include "snapshot.h"
#include "strbuf.h"

#define FL_REC_FRAMES 64

/* A kernel stack, innermost frame first, symbolised by the tracer. */
struct fl_rec_stack {
	size_t n;
	const char *frames[FL_REC_FRAMES]; /* not owned */
	int err;                            /* a negative errno when the walk failed */
};

struct fl_slow_rec {
	uint64_t time_ns;      /* CLOCK_REALTIME at completion */
	uint32_t pid, tid;     /* tid: the thread that started the flush */
	uint32_t done_tid;     /* the one that completed it */
	char comm[FL_COMM_LEN];/* of the thread that completed it */
	uint64_t start_ns;     /* recorder clock */
	uint64_t duration_ns;  /* in the run's clock */
	int anatomy;           /* --breakdown: the fields below are filled in */
	enum fl_sys_method method;
	uint64_t wall_ns;      /* kernel clock between the probes: the components' sum */
	uint64_t comp_ns[FL_COMP_NR];
	struct fl_bd_sums sys; /* sys_* fields only */
	uint64_t blocked_ns;   /* the longest blocked segment, where, and its stack */
	enum fl_comp blocked_comp;
	enum fl_sys blocked_sys;
	struct fl_rec_stack stack;
	int cross, retried, raced;
};

struct fl_stuck_rec {
	uint64_t time_ns;      /* CLOCK_REALTIME when seen */
	uint32_t pid, tid;
	char comm[FL_COMM_LEN];
	uint64_t start_ns;     /* recorder clock */
	uint64_t age_ns;       /* in flight for (kernel clock) */
	char state;            /* ps(1) letter: R S D T t X Z I, '?' if the thread is gone */
	int on_cpu, iowait;
	struct fl_rec_stack stack;
};

/* The header line of the text slow records (printed once, before the first). */
void fl_slow_rec_header(int anatomy, struct strbuf *out);
void fl_slow_rec_text(const struct fl_slow_rec *r, struct strbuf *out);
void fl_slow_rec_json(const struct fl_slow_rec *r, struct strbuf *out);
void fl_stuck_rec_text(const struct fl_stuck_rec *r, struct strbuf *out);
void fl_stuck_rec_json(const struct fl_stuck_rec *r, struct strbuf *out);
/* "running", "sleeping", "disk sleep", ... for a ps(1) state letter. */
const char *fl_state_name(char state);

#endif /* FLUSHLAT_RECORDS_H */
