// SPDX-License-Identifier: MIT
/*
 * coordinator.c - the WAL metadata coordinator of the sample recorder, and
 * the only translation unit that carries flashstrike probes.  It therefore
 * defines the probe semaphores: in flush_recorder (and its variants) and in
 * libflashstrike.so, whichever this file is linked into.
 *
 * Threads:
 *   writers  append events and publish the WAL position through a seqlock
 *            (the flush thread never blocks them and never takes a lock to
 *            read it); the first writer to dirty a clean state signals the
 *            condition variable, later ones pay one load;
 *   flusher  waits for dirty state, then persists it (metafile_write) inside
 *            meta_flush_start/meta_flush_done and reports the flush to the
 *            completion hook with the same two timestamps.
 */
#define FLASHSTRIKE_PROBES_DEFINE_SEMAPHORES
#include "flashstrike_probes.h"

#include "coordinator.h"
#include "metafile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NSEC_PER_SEC 1000000000ull
/* Longest sleep between stop checks: stop stays prompt at any --rate. */
#define STOP_POLL_NS (50ull * 1000 * 1000)
#define MIN_EVENT_SIZE 32
#define MAX_EVENT_SIZE 1024

struct writer {
	struct coordinator *c;
	unsigned int idx;
	pthread_t thread;
};

/* The padding is the point: writer-hot words on their own cache lines. */
struct coordinator { // NOLINT(clang-analyzer-optin.performance.Padding)
	struct coord_config cfg;
	char dir[PATH_MAX];
	int dirfd;

	/*
	 * The published WAL position, a seqlock: seq is odd while a writer
	 * updates the three fields.  Writers serialize among themselves with a
	 * CAS on seq (WAL appends are totally ordered anyway); the flush thread
	 * only reads and retries.  The fields are atomics so that the racy
	 * reads are defined behaviour (C11 seqlock, Boehm 2012).
	 */
	struct {
		_Alignas(64) _Atomic uint64_t seq;
		_Atomic uint64_t segment_index;
		_Atomic uint64_t byte_offset;
		_Atomic uint64_t last_event_id;
	} tail;

	_Alignas(64) atomic_bool dirty;
	atomic_bool stop_writers;
	atomic_bool finished;
	_Atomic uint64_t flushes;

	pthread_mutex_t lock;
	pthread_cond_t cond; /* dirty became true, or stop_flush */
	bool stop_flush; /* under lock */

	uint64_t flush_seq; /* flush thread only (after create) */
	int error; /* first flush error, read after the join */
	char errmsg[PATH_MAX + 128];

	pthread_t flusher;
	bool flusher_started;

	/* done_thread: one completion handed over at a time, under lock */
	pthread_t completer;
	bool completer_started;
	pthread_cond_t handoff; /* a completion posted, or taken */
	bool posted, stop_completer;
	uint64_t post_start, post_end;
	unsigned int nwriters;
	struct writer writers[COORD_MAX_WRITERS];
};

uint64_t coord_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

bool coord_tracer_attached(void)
{
	return FLASHSTRIKE_META_FLUSH_ENABLED();
}

static struct timespec ns_to_timespec(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / NSEC_PER_SEC),
			       .tv_nsec = (long)(ns % NSEC_PER_SEC) };

	return ts;
}

/* ---- the probe sites --------------------------------------------------- */

/*
 * Exactly one site per probe in the whole object: a tracer attaches site by
 * site, and with several sites the recorder could be released (semaphore up)
 * while the site it is about to hit is not attached yet.  noinline/noclone
 * keep the compiler from duplicating the sites; the semaphore test stays
 * inline at each caller, so an untraced flush still pays one load and one
 * branch (the macro inside tests it again, only when traced).
 */
#ifdef __clang__
#define PROBE_SITE __attribute__((noinline))
#else
#define PROBE_SITE __attribute__((noinline, noclone))
#endif

static PROBE_SITE void fire_start(uint64_t start_ns)
{
	FLASHSTRIKE_META_FLUSH_START(start_ns);
}

static PROBE_SITE void fire_done(uint64_t start_ns, uint64_t end_ns)
{
	FLASHSTRIKE_META_FLUSH_DONE(start_ns, end_ns);
}

static inline void probe_start(uint64_t start_ns)
{
	if (FLASHSTRIKE_META_FLUSH_START_ENABLED())
		fire_start(start_ns);
}

static inline void probe_done(uint64_t start_ns, uint64_t end_ns)
{
	if (FLASHSTRIKE_META_FLUSH_DONE_ENABLED())
		fire_done(start_ns, end_ns);
}

/* ---- the seqlock ------------------------------------------------------- */

static void tail_append(struct coordinator *c, uint64_t size)
{
	uint64_t seq, seg, off;

	for (unsigned int tries = 0;; tries++) {
		seq = atomic_load_explicit(&c->tail.seq, memory_order_relaxed);
		if (!(seq & 1) &&
		    atomic_compare_exchange_weak_explicit(&c->tail.seq, &seq, seq + 1,
							  memory_order_acquire,
							  memory_order_relaxed))
			break;
		/* More writers than CPUs: let a preempted holder finish. */
		if (tries > 64)
			sched_yield();
	}
	/* The field stores must not become visible before seq is odd. */
	atomic_thread_fence(memory_order_release);

	seg = atomic_load_explicit(&c->tail.segment_index, memory_order_relaxed);
	off = atomic_load_explicit(&c->tail.byte_offset, memory_order_relaxed);
	if (off + size > METAFILE_SEGMENT_SIZE) {
		seg++;
		off = 0;
	}
	atomic_store_explicit(&c->tail.segment_index, seg, memory_order_relaxed);
	atomic_store_explicit(&c->tail.byte_offset, off + size, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->tail.last_event_id, 1, memory_order_relaxed);
	atomic_store_explicit(&c->tail.seq, seq + 2, memory_order_release);
}

static void tail_read(struct coordinator *c, struct metafile_state *st)
{
	uint64_t s1, s2;

	for (;;) {
		s1 = atomic_load_explicit(&c->tail.seq, memory_order_acquire);
		if (s1 & 1) {
			sched_yield();
			continue;
		}
		st->segment_index = atomic_load_explicit(&c->tail.segment_index, memory_order_relaxed);
		st->byte_offset = atomic_load_explicit(&c->tail.byte_offset, memory_order_relaxed);
		st->last_event_id = atomic_load_explicit(&c->tail.last_event_id, memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&c->tail.seq, memory_order_relaxed);
		if (s1 == s2)
			return;
	}
}

/* ---- writers ----------------------------------------------------------- */

static void mark_dirty(struct coordinator *c)
{
	/*
	 * Pairs with the fence after the flusher clears dirty (store-buffer
	 * pattern): either we see dirty == false and signal, or the flusher's
	 * next tail_read sees the position we just published.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&c->dirty, memory_order_relaxed))
		return;
	if (atomic_exchange(&c->dirty, true))
		return;
	pthread_mutex_lock(&c->lock);
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* Sleeps until deadline (monotonic ns) in slices; false when asked to stop. */
static bool writer_sleep_until(struct coordinator *c, uint64_t deadline)
{
	for (;;) {
		uint64_t now = coord_now_ns(), until;
		struct timespec ts;

		if (atomic_load_explicit(&c->stop_writers, memory_order_relaxed))
			return false;
		if (now >= deadline)
			return true;
		until = deadline - now > STOP_POLL_NS ? now + STOP_POLL_NS : deadline;
		ts = ns_to_timespec(until);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
}

static uint64_t xorshift64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct coordinator *c = w->c;
	uint64_t rng = 0x9e3779b97f4a7c15ull * (w->idx + 1);
	uint64_t interval = 0, next = coord_now_ns();

	/* --rate is over all writers: each one takes every nwriters-th slot. */
	if (c->cfg.rate)
		interval = (uint64_t)c->nwriters * NSEC_PER_SEC / c->cfg.rate;
	while (!atomic_load_explicit(&c->stop_writers, memory_order_relaxed)) {
		if (interval) {
			next += interval;
			if (!writer_sleep_until(c, next))
				break;
		}
		tail_append(c, MIN_EVENT_SIZE + xorshift64(&rng) % (MAX_EVENT_SIZE - MIN_EVENT_SIZE + 1));
		mark_dirty(c);
	}
	return NULL;
}

/* ---- the flush thread -------------------------------------------------- */

/* The completer thread (done_thread): fires each posted completion, then takes the next. */
static void *completer_main(void *arg)
{
	struct coordinator *c = arg;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->posted && !c->stop_completer)
			pthread_cond_wait(&c->handoff, &c->lock);
		if (!c->posted)
			break;
		probe_done(c->post_start, c->post_end);
		if (c->cfg.on_flush_done)
			c->cfg.on_flush_done(c->cfg.ctx, 0, c->post_start, c->post_end);
		c->posted = false;
		pthread_cond_broadcast(&c->handoff);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* A flush completed on the completer thread; returns once it has fired. */
static void complete_elsewhere(struct coordinator *c, uint64_t start_ns, uint64_t end_ns)
{
	pthread_mutex_lock(&c->lock);
	c->post_start = start_ns;
	c->post_end = end_ns;
	c->posted = true;
	pthread_cond_broadcast(&c->handoff);
	while (c->posted)
		pthread_cond_wait(&c->handoff, &c->lock);
	pthread_mutex_unlock(&c->lock);
}

static void hold(uint64_t ns)
{
	struct timespec ts = ns_to_timespec(ns);

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int flush_once(struct coordinator *c)
{
	struct metafile_record rec;
	struct metafile_state st;
	uint64_t start_ns, end_ns;
	int err;

	start_ns = coord_now_ns();
	probe_start(start_ns);
	if (c->cfg.hold_ns)
		hold(c->cfg.hold_ns);

	tail_read(c, &st);
	memset(&rec, 0, sizeof(rec));
	rec.flush_seq = ++c->flush_seq;
	rec.segment_index = st.segment_index;
	rec.byte_offset = st.byte_offset;
	rec.last_event_id = st.last_event_id;
	rec.flush_start_ns = start_ns;
	metafile_seal(&rec);
	err = metafile_write(c->dirfd, &rec, c->cfg.sync);

	end_ns = coord_now_ns();
	/*
	 * A failed flush still completes its probe pair and its in-process
	 * record, so a tracer and the in-process MetaStore always agree on the
	 * count; the recorder then stops with the error.
	 */
	if (c->cfg.done_thread) {
		complete_elsewhere(c, start_ns, end_ns);
	} else {
		probe_done(start_ns, end_ns);
		if (c->cfg.on_flush_done)
			c->cfg.on_flush_done(c->cfg.ctx, 0, start_ns, end_ns);
	}
	atomic_fetch_add_explicit(&c->flushes, 1, memory_order_relaxed);
	if (err) {
		c->error = err;
		snprintf(c->errmsg, sizeof(c->errmsg), "flush of %s/%s: %s", c->dir, METAFILE_NAME,
			 strerror(-err));
	}
	return err;
}

static void *flush_main(void *arg)
{
	struct coordinator *c = arg;

	for (;;) {
		bool final;

		pthread_mutex_lock(&c->lock);
		while (!atomic_load(&c->dirty) && !c->stop_flush) {
			/* Timed, so that a stop is noticed even without a signal. */
			struct timespec ts = ns_to_timespec(coord_now_ns() + STOP_POLL_NS);

			pthread_cond_timedwait(&c->cond, &c->lock, &ts);
		}
		final = c->stop_flush;
		pthread_mutex_unlock(&c->lock);

		if (atomic_exchange(&c->dirty, false)) {
			atomic_thread_fence(memory_order_seq_cst); /* see mark_dirty() */
			if (flush_once(c))
				break;
			if (c->cfg.max_flushes &&
			    atomic_load_explicit(&c->flushes, memory_order_relaxed) >= c->cfg.max_flushes)
				break;
		}
		/* On stop the writers are already joined: the check above was the last. */
		if (final)
			break;
	}
	atomic_store(&c->finished, true);
	return NULL;
}

/* ---- life cycle -------------------------------------------------------- */

static int resume(struct coordinator *c, char *err, size_t errlen)
{
	struct metafile_record rec;
	char path[PATH_MAX + sizeof(METAFILE_NAME) + 1];
	char why[128];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", c->dir, METAFILE_NAME);
	ret = metafile_read(path, &rec, why, sizeof(why));
	if (ret == -ENOENT)
		return 0;
	if (ret) {
		snprintf(err, errlen, "%s: invalid metadata (%s); refusing to overwrite it", path, why);
		return ret;
	}
	/* Recovery: continue the WAL where the last persisted flush left it. */
	atomic_store(&c->tail.segment_index, rec.segment_index);
	atomic_store(&c->tail.byte_offset, rec.byte_offset);
	atomic_store(&c->tail.last_event_id, rec.last_event_id);
	c->flush_seq = rec.flush_seq;
	return 0;
}

struct coordinator *coord_create(const struct coord_config *cfg, char *err, size_t errlen)
{
	struct coordinator *c;
	pthread_condattr_t ca;

	if (cfg->writers < 1 || cfg->writers > COORD_MAX_WRITERS) {
		snprintf(err, errlen, "writers must be 1..%d", COORD_MAX_WRITERS);
		return NULL;
	}
	if (strlen(cfg->dir) >= PATH_MAX) {
		snprintf(err, errlen, "directory name too long");
		return NULL;
	}
	c = aligned_alloc(64, (sizeof(*c) + 63) / 64 * 64);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memset(c, 0, sizeof(*c));
	c->cfg = *cfg;
	c->nwriters = cfg->writers;
	snprintf(c->dir, sizeof(c->dir), "%s", cfg->dir);
	c->cfg.dir = c->dir;
	atomic_init(&c->dirty, false);
	atomic_init(&c->stop_writers, false);
	atomic_init(&c->finished, false);
	atomic_init(&c->flushes, 0);

	c->dirfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0) {
		snprintf(err, errlen, "%s: %s", c->dir, strerror(errno));
		free(c);
		return NULL;
	}
	if (resume(c, err, errlen)) {
		close(c->dirfd);
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_cond_init(&c->handoff, &ca);
	pthread_condattr_destroy(&ca);
	return c;
}

int coord_start(struct coordinator *c)
{
	int err;

	if (c->cfg.done_thread) {
		err = pthread_create(&c->completer, NULL, completer_main, c);
		if (err)
			return -err;
		c->completer_started = true;
	}
	err = pthread_create(&c->flusher, NULL, flush_main, c);
	if (err)
		return -err;
	c->flusher_started = true;
	for (unsigned int i = 0; i < c->nwriters; i++) {
		c->writers[i].c = c;
		c->writers[i].idx = i;
		err = pthread_create(&c->writers[i].thread, NULL, writer_main, &c->writers[i]);
		if (err) {
			c->nwriters = i; /* coord_stop() joins the ones that started */
			return -err;
		}
	}
	return 0;
}

bool coord_finished(struct coordinator *c)
{
	return atomic_load(&c->finished);
}

uint64_t coord_flushes(const struct coordinator *c)
{
	return atomic_load_explicit(&c->flushes, memory_order_relaxed);
}

int coord_stop(struct coordinator *c, char *err, size_t errlen)
{
	atomic_store(&c->stop_writers, true);
	for (unsigned int i = 0; i < c->nwriters; i++)
		pthread_join(c->writers[i].thread, NULL);
	c->nwriters = 0;

	pthread_mutex_lock(&c->lock);
	c->stop_flush = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	if (c->flusher_started) {
		pthread_join(c->flusher, NULL);
		c->flusher_started = false;
	}
	if (c->completer_started) {
		pthread_mutex_lock(&c->lock);
		c->stop_completer = true;
		pthread_cond_broadcast(&c->handoff);
		pthread_mutex_unlock(&c->lock);
		pthread_join(c->completer, NULL);
		c->completer_started = false;
	}
	if (c->error)
		snprintf(err, errlen, "%s", c->errmsg);
	return c->error;
}

void coord_destroy(struct coordinator *c)
{
	if (!c)
		return;
	pthread_cond_destroy(&c->cond);
	pthread_cond_destroy(&c->handoff);
	pthread_mutex_destroy(&c->lock);
	close(c->dirfd);
	free(c);
}

/* ---- spin mode --------------------------------------------------------- */

struct spinner {
	uint64_t pairs;
	unsigned int idx;
	coord_done_fn done;
	void *ctx;
	pthread_t thread;
};

static void *spin_main(void *arg)
{
	struct spinner *s = arg;

	/* The probe sites exactly as in flush_once(), minus the I/O. */
	for (uint64_t i = 0; i < s->pairs; i++) {
		uint64_t start_ns = coord_now_ns(), end_ns;

		probe_start(start_ns);
		end_ns = coord_now_ns();
		probe_done(start_ns, end_ns);
		s->done(s->ctx, s->idx, start_ns, end_ns);
	}
	return NULL;
}

int coord_spin(uint64_t pairs, unsigned int writers, coord_done_fn done, void *ctx,
	       uint64_t *elapsed_ns)
{
	struct spinner sp[COORD_MAX_WRITERS];
	unsigned int started = 0;
	uint64_t t0;
	int err = 0;

	if (writers < 1 || writers > COORD_MAX_WRITERS)
		return -EINVAL;
	t0 = coord_now_ns();
	for (; started < writers; started++) {
		sp[started] = (struct spinner){ .pairs = pairs, .idx = started, .done = done, .ctx = ctx };
		err = pthread_create(&sp[started].thread, NULL, spin_main, &sp[started]);
		if (err)
			break;
	}
	for (unsigned int i = 0; i < started; i++)
		pthread_join(sp[i].thread, NULL);
	*elapsed_ns = coord_now_ns() - t0;
	return -err;
}
