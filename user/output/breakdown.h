/* SPDX-License-Identifier: MIT */
/*
 * breakdown.h - the flush anatomy of a snapshot: where the flushes' time
 * went (components, system calls), for all flushes and for the slow tail;
 * the slowest flushes of the run (--top); the --slow and --stuck counts.
 *
 * A snapshot holds it behind one pointer (struct fl_snapshot.an), NULL when
 * none of --breakdown, --slow, --top, --stuck was asked for.  This module
 * owns its lifecycle (copy, free, interval delta), picks the slow tail out
 * of the raw per-duration-bucket cells the map reader delivers, and gives
 * the metric table its values; rendering is in breakdown_render.c, the JSON
 * reader in breakdown_read.c.
 */
#ifndef FLUSHLAT_BREAKDOWN_H
#define FLUSHLAT_BREAKDOWN_H

#include <stddef.h>
#include <stdint.h>

#include "flushlat/hist.h"
#include "strbuf.h"

enum fl_comp { FL_COMP_ON_CPU, FL_COMP_RUNQ, FL_COMP_IO, FL_COMP_SLEEP, FL_COMP_NR };

enum fl_sys {
	FL_SYS_FDATASYNC, FL_SYS_FSYNC, FL_SYS_RENAME, FL_SYS_OPENAT, FL_SYS_WRITE, FL_SYS_CLOSE,
	FL_SYS_OTHER, FL_SYS_NONE, FL_SYS_NR,
};

/* How the system-call view was measured. */
enum fl_sys_method {
	FL_SYSM_SWITCH, /* off-CPU time by the call in progress at each blocking switch-out */
	FL_SYSM_HOOKS,  /* --syscalls: sys_enter/sys_exit, every call timed */
};

/* Which flushes the slow tail holds. */
enum fl_slow_basis {
	FL_SLOW_P99,   /* at or over the snapshot's p99 (bucket resolution) */
	FL_SLOW_FIXED, /* at or over --slow */
};

/* "on_cpu", "runq", "io", "sleep" */
extern const char *const fl_comp_names[FL_COMP_NR];
/* "fdatasync", ..., "other", "none" */
extern const char *const fl_sys_names[FL_SYS_NR];
extern const char *const fl_sys_method_names[2];

/* Sums over a set of flushes. */
struct fl_bd_sums {
	uint64_t flushes;
	uint64_t wall_ns;
	uint64_t comp_ns[FL_COMP_NR];
	uint64_t comp_max[FL_COMP_NR];
	uint64_t sys_off_ns[FL_SYS_NR]; /* off-CPU ns by the call in progress at the switch-out */
	uint64_t sys_blocked[FL_SYS_NR];/* blocking switch-outs by call */
	uint64_t sys_ns[FL_SYS_NR];     /* --syscalls: ns inside calls */
	uint64_t sys_calls[FL_SYS_NR];  /* --syscalls: calls */
};

/* A set of flushes: sums and one log-linear histogram per component. */
struct fl_bd_agg {
	struct fl_bd_sums s;
	uint64_t hist[FL_COMP_NR][FL_HIST_NBUCKETS];
};

/* Consistency checks and loss counters (see README, Guarantees and limits). */
struct fl_bd_checks {
	uint64_t cross_thread;    /* flushes completed on another thread */
	uint64_t run_delay_ns;    /* sum of run_delay(done) - run_delay(start), same thread */
	uint64_t runq_ns;         /* ... and the runq component of those flushes */
	uint64_t clamped_ns;      /* run_delay growth beyond an off segment, clamped away */
	uint64_t unseen_runq_ns;  /* preempted time run_delay did not count (in runq) */
	uint64_t on_cpu_rd_ns;    /* run_delay growth while on CPU, no segment seen */
	uint64_t missed_switch_in;/* switch-ins sched_switch did not report (repaired) */
	uint64_t missed_switch_out;/* switch-outs it did not report (that off time is in on_cpu) */
	uint64_t retries, races;  /* snapshots retried / given up (split off by <= a switch) */
	uint64_t queued_estimates;/* cross-thread dones with the starter runnable (runq estimated) */
	uint64_t not_anatomised;  /* flushes closed without an anatomy (tables full, nested) */
	uint64_t stack_errors;    /* failed stack walks */
	uint64_t fold_lost_ns;    /* --folded: blocked time beyond a record's stack list */
	uint64_t tail_lost;       /* slow-tail histogram cells not stored (map full) */
};

/* One raw cell of the tail, as read from the maps (not serialised). */
struct fl_bd_cell {
	uint32_t idx; /* duration bucket << 1 | over --slow */
	struct fl_bd_sums s;
};

/* A tail histogram count: key = db << 13 | over << 12 | comp << 10 | value bucket. */
struct fl_bd_hcell {
	uint32_t key;
	uint64_t count;
};

#define FL_BD_HKEY(db, over, comp, vb)                                                             \
	((uint32_t)(db) << 13 | (uint32_t)(over) << 12 | (uint32_t)(comp) << 10 | (uint32_t)(vb))

struct fl_breakdown {
	enum fl_sys_method method;
	struct fl_bd_agg all;
	/* the slow tail, picked at read time (from the cells below) or read back */
	enum fl_slow_basis basis;
	uint64_t slow_threshold_ns;
	struct fl_bd_agg slow;
	struct fl_bd_checks checks;
	uint64_t open_spans;      /* flushes with a span open when read (current, not summed) */
	/* raw tail cells, sorted; absent (0) in a snapshot read back from JSON */
	size_t ncells, nhcells;
	struct fl_bd_cell *cells;
	struct fl_bd_hcell *hcells;
};

struct fl_top_entry {
	uint32_t pid, tid;
	uint64_t start_ns;    /* recorder clock */
	uint64_t duration_ns;
};

#define FL_TOP_LIMIT 100 /* --top N: at most this N */

/* Everything the anatomy options add to a snapshot; each part only when asked for. */
struct fl_anatomy {
	struct fl_breakdown *bd; /* --breakdown (owned) */
	int slow_on;             /* --slow */
	uint64_t slow_ns;        /* its threshold */
	uint64_t slow_flushes;   /* flushes at or over it */
	uint64_t slow_dropped;   /* ... whose record could not be delivered */
	int top_n;               /* --top N (0: off) */
	size_t ntop;
	struct fl_top_entry top[FL_TOP_LIMIT]; /* largest first */
	uint64_t top_missed;     /* --top updates given up (never seen; counted) */
	int stuck_on;            /* --stuck */
	uint64_t stuck_ns;
	uint64_t stuck;          /* in-flight flushes at least stuck_ns old when read */
};

struct fl_anatomy *fl_anatomy_new(void);
void fl_anatomy_free(struct fl_anatomy *a);
/* Deep copy; NULL on allocation failure (or when a is NULL). */
struct fl_anatomy *fl_anatomy_dup(const struct fl_anatomy *a);
/*
 * cur - prev for an interval: counts, sums and histograms subtract; the top
 * list and the stuck count are current; the slow tail is picked again from
 * the interval's cells (its own p99).  NULL on allocation failure.
 */
struct fl_anatomy *fl_anatomy_delta(const struct fl_anatomy *cur, const struct fl_anatomy *prev);

/*
 * Adds interval d into the run *acc (a --delta file read back): counts,
 * sums and histograms add; top, stuck and open spans are d's (the latest).
 * The slow tails add too: with --slow that is the run's tail; with the p99
 * basis it is the union of each interval's own tail (said in the README).
 * 0, or -1 on allocation failure.
 */
int fl_anatomy_add(struct fl_anatomy **acc, const struct fl_anatomy *d);
struct fl_breakdown *fl_breakdown_new(void);
void fl_breakdown_free(struct fl_breakdown *b);
/*
 * Picks the slow tail from the raw cells: basis FIXED uses slow_ns (exact:
 * the cells split the bucket holding it), P99 the p99 of the cells'
 * durations (flushes in the p99's bucket and above).
 */
void fl_breakdown_pick_tail(struct fl_breakdown *b, enum fl_slow_basis basis, uint64_t slow_ns);

/* A component's q-quantile (0 < q <= 1) over a set; 0 when empty. */
uint64_t fl_bd_percentile(const struct fl_bd_agg *a, enum fl_comp c, double q);
/* Adds src into dst (sums, maxima, histograms). */
void fl_bd_agg_add(struct fl_bd_agg *dst, const struct fl_bd_agg *src);
void fl_bd_sums_add(struct fl_bd_sums *dst, const struct fl_bd_sums *src);

/* Name -> index, -1 if unknown (also used by the JSON reader). */
int fl_comp_index(const char *name, size_t len);
int fl_sys_index(const char *name);

/* Renderers' helpers (breakdown_render.c), called by render_text/json/prom. */
struct fl_snapshot;
struct fl_render_opts;
void fl_render_anatomy_text(const struct fl_snapshot *s, struct strbuf *out);
struct json_object;
void fl_render_anatomy_json(const struct fl_snapshot *s, struct json_object *root);
/* The JSON reader's part (breakdown_read.c): 0, or -1 with a message. */
int fl_anatomy_from_json(struct json_object *root, struct fl_snapshot *s, char *err,
			 size_t errlen);

#endif /* FLUSHLAT_BREAKDOWN_H */
