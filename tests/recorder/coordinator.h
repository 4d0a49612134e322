/* SPDX-License-Identifier: MIT */
/*
 * coordinator.h - a miniature of FlashStrike's WAL MetaCoordinator.
 *
 * Writer threads append events and publish the WAL position lock-free; one
 * flush thread persists it (metafile.h) whenever it is dirty, wrapping every
 * flush in the flashstrike:meta_flush_start/done probes and reporting it to
 * the caller's completion hook, the in-process telemetry.
 *
 * All probe sites and the probe semaphores live in coordinator.c, so that the
 * same code can be built into the executable or into libflashstrike.so.
 */
#ifndef FLUSH_RECORDER_COORDINATOR_H
#define FLUSH_RECORDER_COORDINATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COORD_MAX_WRITERS 64

/*
 * Called once per completed flush (slot 0, from the flush thread) or, in spin
 * mode, once per probe pair (slot = writer index, from that writer): exactly
 * the start_ns/end_ns the probes carried.
 */
typedef void (*coord_done_fn)(void *ctx, unsigned int slot, uint64_t start_ns, uint64_t end_ns);

struct coord_config {
	const char *dir; /* must exist */
	uint64_t max_flushes; /* stop after this many flushes; 0 = no limit */
	uint64_t rate; /* events per second over all writers; 0 = flat out */
	unsigned int writers; /* 1..COORD_MAX_WRITERS */
	bool sync; /* fdatasync + directory fsync on each flush */
	uint64_t hold_ns; /* test only: sleep this long inside every flush (a stuck flush) */
	bool done_thread; /* test only: another thread fires meta_flush_done (async completion) */
	coord_done_fn on_flush_done;
	void *ctx;
};

struct coordinator;

/* The recorder's clock: CLOCK_MONOTONIC in ns. */
uint64_t coord_now_ns(void);

/* True while a tracer holds one of the probe semaphores (always with NO_SEMAPHORES). */
bool coord_tracer_attached(void);

/*
 * Opens cfg->dir and resumes from a valid wal.meta found there.  Returns NULL
 * with a message in err on failure (including an invalid wal.meta, which a
 * real recorder must not silently overwrite).
 */
struct coordinator *coord_create(const struct coord_config *cfg, char *err, size_t errlen);
/* Starts the flush thread and the writers.  Returns 0 or a negative errno. */
int coord_start(struct coordinator *c);
/* True once the flush thread stopped on its own (max_flushes reached or an I/O error). */
bool coord_finished(struct coordinator *c);
/*
 * Stops the writers, lets the flush thread persist what is still dirty (unless
 * max_flushes was reached) and joins everything.  Returns 0, or the negative
 * errno of the first failed flush (its text is in err).
 */
int coord_stop(struct coordinator *c, char *err, size_t errlen);
uint64_t coord_flushes(const struct coordinator *c);
void coord_destroy(struct coordinator *c);

/*
 * Spin mode (overhead benchmarks, no I/O): each of writers threads fires
 * pairs start/done probe pairs back to back, reporting each to done(ctx,
 * writer_index, ...).  Returns 0 and the wall time of the whole run in
 * *elapsed_ns, or a negative errno.
 */
int coord_spin(uint64_t pairs, unsigned int writers, coord_done_fn done, void *ctx,
	       uint64_t *elapsed_ns);

#endif /* FLUSH_RECORDER_COORDINATOR_H */
