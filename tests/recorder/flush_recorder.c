// SPDX-License-Identifier: MIT
/*
 * flush_recorder - a miniature FlashStrike WAL recorder: writer threads,
 * a metadata flush thread wrapped in the flashstrike USDT probes, and the
 * in-process MetaStore as ground truth for the tracer.
 *
 * This file is options, signals and telemetry only; the probe-carrying code
 * (and the probe semaphores) are in coordinator.c, which is linked either
 * into this executable or into libflashstrike.so.
 *
 * stdout carries only what was asked for (--dump, --collect, --verify,
 * --help); every diagnostic goes to stderr.
 */
#define _GNU_SOURCE /* asprintf */
#include "coordinator.h"
#include "metafile.h"
#include "metastore.h"
#include "prom.h"
#include "strbuf.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROG "flush_recorder"
#define EXIT_USAGE 2
#define NSEC_PER_SEC 1000000000ull
#define NSEC_PER_MSEC 1000000ull

/* The recorder's own root telemetry names (FlashStrike's root telemetry). */
#define RECORDER_PREFIX "ie_wal_recorder__meta_store"
#define RECORDER_SYSTEM "wal_recorder"

struct options {
	const char *dir;
	uint64_t flushes;
	double seconds;
	uint64_t rate;
	unsigned int writers;
	bool sync;
	bool wait;
	double wait_secs;
	uint64_t grace_ms;
	const char *log_path;
	const char *flush_log_path;
	bool dump;
	bool collect;
	uint64_t spin;
	uint64_t hold_ms;
	bool done_thread;
	const char *verify;
	bool run_opts; /* any option other than --verify */
};

/* In-process telemetry: one MetaStore per reporting thread, merged at exit. */
struct telemetry {
	struct metastore *ms;
	unsigned int nslots;
	FILE *log;
	FILE *flush_log; /* --log-flushes */
};

enum {
	OPT_DIR = 256,
	OPT_FLUSHES,
	OPT_SECONDS,
	OPT_RATE,
	OPT_WRITERS,
	OPT_NO_SYNC,
	OPT_WAIT,
	OPT_GRACE,
	OPT_LOG,
	OPT_FLUSH_LOG,
	OPT_DUMP,
	OPT_COLLECT,
	OPT_SPIN,
	OPT_VERIFY,
	OPT_HOLD,
	OPT_DONE_THREAD,
};

static const struct option long_opts[] = {
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "flushes", required_argument, NULL, OPT_FLUSHES },
	{ "seconds", required_argument, NULL, OPT_SECONDS },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "writers", required_argument, NULL, OPT_WRITERS },
	{ "no-sync", no_argument, NULL, OPT_NO_SYNC },
	{ "wait-for-tracer", optional_argument, NULL, OPT_WAIT },
	{ "tracer-grace-ms", required_argument, NULL, OPT_GRACE },
	{ "log-durations", required_argument, NULL, OPT_LOG },
	{ "log-flushes", required_argument, NULL, OPT_FLUSH_LOG },
	{ "dump", no_argument, NULL, OPT_DUMP },
	{ "collect", no_argument, NULL, OPT_COLLECT },
	{ "spin", required_argument, NULL, OPT_SPIN },
	{ "verify", required_argument, NULL, OPT_VERIFY },
	{ "hold-flush", required_argument, NULL, OPT_HOLD },
	{ "done-thread", no_argument, NULL, OPT_DONE_THREAD },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [OPTIONS]\n"
		"       " PROG " --verify FILE\n"
		"A small WAL recorder whose metadata flushes fire the flashstrike:meta_flush_start\n"
		"and flashstrike:meta_flush_done USDT probes and are recorded in an in-process\n"
		"MetaStore.  Runs until --flushes, --seconds, SIGINT or SIGTERM.\n"
		"\n"
		"  --dir DIR               directory of the metadata file " METAFILE_NAME
		" (created if\n"
		"                          missing; default: a fresh temporary directory, removed at exit)\n"
		"  --flushes N             stop after exactly N completed flushes\n"
		"  --seconds S             stop after S seconds (may be fractional)\n"
		"  --rate R                events per second over all writers (default 0: flat out)\n"
		"  --writers N             writer threads, 1..%d (default 1)\n"
		"  --no-sync               skip fdatasync and the directory fsync (fast test runs)\n"
		"  --wait-for-tracer[=S]   first wait up to S seconds (default 10) for a tracer to\n"
		"                          enable a probe semaphore; exit 2 on timeout\n"
		"  --tracer-grace-ms MS    after the semaphore flips, wait MS more (default 50) so the\n"
		"                          tracer can finish attaching its programs\n"
		"  --log-durations FILE    write each recorded flush duration (ns), one per line\n"
		"  --log-flushes FILE      write each flush as 'DURATION_NS TID REALTIME_NS' (the\n"
		"                          thread that completed it, CLOCK_REALTIME at completion)\n"
		"  --dump                  at exit, print the in-process MetaStore dump (\"Meta Store\")\n"
		"  --collect               at exit, print its Prometheus collect() output with the\n"
		"                          recorder's names (" RECORDER_PREFIX ", system=\"" RECORDER_SYSTEM "\")\n"
		"  --spin N                no I/O: each writer fires N start/done pairs back to back,\n"
		"                          recorded in-process; prints 'spin: <pairs> pairs in <ns> ns'\n"
		"                          on stderr (timed after any tracer wait)\n"
		"  --verify FILE           check a metadata file (magic, version, checksum), print its\n"
		"                          fields; exit 0 if valid, 1 if not\n"
		"  --hold-flush MS         test only: sleep MS inside every flush (between the probes)\n"
		"  --done-thread           test only: fire meta_flush_done on another thread (an\n"
		"                          asynchronous completion; the flush thread waits for it)\n"
		"  -h, --help              this text\n"
		"\n"
		"Exit status: 0 ok (also after SIGINT/SIGTERM), 1 runtime error, 2 usage error or\n"
		"--wait-for-tracer timeout.\n",
		COORD_MAX_WRITERS);
}

static int usage_error(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, "\nTry '" PROG " --help'.\n");
	return -1;
}

/* Strict decimal: digits only, no sign, no junk, no overflow, within [min, max]. */
static int parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!s || !*s || *s < '0' || *s > '9')
		goto bad;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	fprintf(stderr, PROG ": %s: invalid value '%s' (want an integer %" PRIu64 "..%" PRIu64 ")\n",
		opt, s ? s : "", min, max);
	return -1;
}

static int parse_secs(const char *opt, const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	if (!s || !*s || (*s != '.' && (*s < '0' || *s > '9')))
		goto bad;
	v = strtod(s, &end);
	/* A week is plenty; it also keeps the ns arithmetic far from overflow. */
	if (errno || *end || !isfinite(v) || v <= 0 || v > 7 * 86400)
		goto bad;
	*out = v;
	return 0;
bad:
	fprintf(stderr, PROG ": %s: invalid value '%s' (want seconds > 0, e.g. 2 or 0.5)\n", opt,
		s ? s : "");
	return -1;
}

/* Returns 0 to run, 1 after --help, -1 on a usage error (already reported). */
static int parse_options(int argc, char **argv, struct options *o)
{
	uint64_t v;
	int c;

	*o = (struct options){ .writers = 1, .sync = true, .wait_secs = 10, .grace_ms = 50 };
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
		if (c != OPT_VERIFY && c != 'h' && c != '?' && c != ':')
			o->run_opts = true;
		switch (c) {
		case OPT_DIR:
			if (!optarg || !*optarg)
				return usage_error("--dir: empty directory name%s%s", "", "");
			o->dir = optarg;
			break;
		case OPT_FLUSHES:
			if (parse_u64("--flushes", optarg, 1, UINT64_MAX / 2, &o->flushes))
				return -1;
			break;
		case OPT_SECONDS:
			if (parse_secs("--seconds", optarg, &o->seconds))
				return -1;
			break;
		case OPT_RATE:
			if (parse_u64("--rate", optarg, 0, NSEC_PER_SEC, &o->rate))
				return -1;
			break;
		case OPT_WRITERS:
			if (parse_u64("--writers", optarg, 1, COORD_MAX_WRITERS, &v))
				return -1;
			o->writers = (unsigned int)v;
			break;
		case OPT_NO_SYNC:
			o->sync = false;
			break;
		case OPT_WAIT:
			o->wait = true;
			if (optarg && parse_secs("--wait-for-tracer", optarg, &o->wait_secs))
				return -1;
			break;
		case OPT_GRACE:
			if (parse_u64("--tracer-grace-ms", optarg, 0, 60000, &o->grace_ms))
				return -1;
			break;
		case OPT_LOG:
			if (!optarg || !*optarg)
				return usage_error("--log-durations: empty file name%s%s", "", "");
			o->log_path = optarg;
			break;
		case OPT_FLUSH_LOG:
			if (!optarg || !*optarg)
				return usage_error("--log-flushes: empty file name%s%s", "", "");
			o->flush_log_path = optarg;
			break;
		case OPT_DUMP:
			o->dump = true;
			break;
		case OPT_COLLECT:
			o->collect = true;
			break;
		case OPT_SPIN:
			if (parse_u64("--spin", optarg, 1, UINT64_MAX / COORD_MAX_WRITERS, &o->spin))
				return -1;
			break;
		case OPT_VERIFY:
			o->verify = optarg;
			break;
		case OPT_HOLD:
			if (parse_u64("--hold-flush", optarg, 1, 600000, &o->hold_ms))
				return -1;
			break;
		case OPT_DONE_THREAD:
			o->done_thread = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case ':':
			return usage_error("%s needs a value%s", argv[optind - 1], "");
		default:
			return usage_error("unknown option '%s'%s", argv[optind - 1], "");
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'%s", argv[optind], "");
	if (o->verify && o->run_opts)
		return usage_error("--verify takes no other option%s%s", "", "");
	/* Spin mode does no flushing: flush options would be silently meaningless. */
	if (o->spin && (o->dir || o->flushes || o->seconds > 0 || o->rate || o->log_path ||
			o->flush_log_path || !o->sync || o->hold_ms || o->done_thread))
		return usage_error("--spin does not combine with --dir, --flushes, --seconds, --rate, "
				   "--no-sync, --log-durations, --log-flushes, --hold-flush or "
				   "--done-thread%s%s", "", "");
	return 0;
}

/* ---- telemetry --------------------------------------------------------- */

static void on_flush_done(void *ctx, unsigned int slot, uint64_t start_ns, uint64_t end_ns)
{
	struct telemetry *t = ctx;

	metastore_record(&t->ms[slot], start_ns, end_ns);
	if (t->log)
		fprintf(t->log, "%" PRIu64 "\n", end_ns - start_ns);
	if (t->flush_log) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		fprintf(t->flush_log, "%" PRIu64 " %ld %" PRIu64 "\n", end_ns - start_ns,
			(long)gettid(), (uint64_t)ts.tv_sec * (uint64_t)NSEC_PER_SEC + (uint64_t)ts.tv_nsec);
	}
}

static int telemetry_init(struct telemetry *t, unsigned int nslots)
{
	t->nslots = nslots;
	t->log = NULL;
	t->flush_log = NULL;
	t->ms = aligned_alloc(_Alignof(struct metastore), nslots * sizeof(*t->ms));
	if (!t->ms)
		return -ENOMEM;
	for (unsigned int i = 0; i < nslots; i++)
		metastore_init(&t->ms[i]);
	return 0;
}

static int report(const struct telemetry *t, const struct options *o)
{
	struct metastore total;

	metastore_merge(&total, t->ms, t->nslots);
	if (o->dump)
		metastore_dump(&total, "Meta Store", stdout);
	if (o->collect) {
		struct prom_writer w;
		struct strbuf sb;
		struct collector *c;

		strbuf_init(&sb);
		prom_writer_init(&w, &sb);
		c = prom_writer_collector(&w);
		collector_push_label(c, "system", RECORDER_SYSTEM);
		metastore_collect(&total, RECORDER_PREFIX, c);
		collector_pop_label(c);
		fputs(strbuf_str(&sb), stdout);
		if (sb.oom)
			fprintf(stderr, PROG ": --collect: out of memory\n");
		strbuf_free(&sb);
	}
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, PROG ": writing stdout: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- signals and waiting ----------------------------------------------- */

static sigset_t stop_signals;

/* Sleeps up to ns; returns the stop signal that arrived, or 0. */
static int wait_signal(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / NSEC_PER_SEC),
			       .tv_nsec = (long)(ns % NSEC_PER_SEC) };
	int sig = sigtimedwait(&stop_signals, NULL, &ts);

	return sig > 0 ? sig : 0;
}

/*
 * Polls the probe semaphores every millisecond.  Returns 0 once a tracer is
 * attached, -ETIMEDOUT, or the stop signal that arrived first.
 */
static int wait_for_tracer(const struct options *o)
{
	uint64_t deadline = coord_now_ns() + (uint64_t)(o->wait_secs * NSEC_PER_SEC);
	int sig;

	while (!coord_tracer_attached()) {
		if (coord_now_ns() >= deadline)
			return -ETIMEDOUT;
		sig = wait_signal(NSEC_PER_MSEC);
		if (sig)
			return sig;
	}
	/*
	 * The kernel bumps a semaphore when the uprobe is registered, a moment
	 * before the tracer has attached its BPF program to it; a hit in that
	 * window would be lost.  A short grace closes it in practice.
	 */
	return o->grace_ms ? wait_signal(o->grace_ms * NSEC_PER_MSEC) : 0;
}

/* ---- the run ----------------------------------------------------------- */

static int do_verify(const char *path)
{
	struct metafile_record r;
	char why[128];

	if (metafile_read(path, &r, why, sizeof(why))) {
		fprintf(stderr, PROG ": %s: invalid: %s\n", path, why);
		return 1;
	}
	printf("valid\nmagic=0x%08" PRIx32 "\nversion=%u\nflush_seq=%" PRIu64
	       "\nsegment_index=%" PRIu64 "\nbyte_offset=%" PRIu64 "\nlast_event_id=%" PRIu64
	       "\nflush_start_ns=%" PRIu64 "\ncrc32=0x%08" PRIx32 "\n",
	       r.magic, r.version, r.flush_seq, r.segment_index, r.byte_offset, r.last_event_id,
	       r.flush_start_ns, r.crc32);
	return fflush(stdout) ? 1 : 0;
}

static int run_spin(const struct options *o, struct telemetry *t)
{
	uint64_t ns;
	int err;

	err = coord_spin(o->spin, o->writers, on_flush_done, t, &ns);
	if (err) {
		fprintf(stderr, PROG ": --spin: %s\n", strerror(-err));
		return 1;
	}
	fprintf(stderr, "spin: %" PRIu64 " pairs in %" PRIu64 " ns\n", o->spin * o->writers, ns);
	return 0;
}

static int run_flushes(const struct options *o, const char *dir, struct telemetry *t)
{
	struct coord_config cfg = {
		.dir = dir,
		.max_flushes = o->flushes,
		.rate = o->rate,
		.writers = o->writers,
		.sync = o->sync,
		.hold_ns = o->hold_ms * NSEC_PER_MSEC,
		.done_thread = o->done_thread,
		.on_flush_done = on_flush_done,
		.ctx = t,
	};
	uint64_t deadline = UINT64_MAX;
	struct coordinator *c;
	char err[PATH_MAX + 256];
	int ret;

	c = coord_create(&cfg, err, sizeof(err));
	if (!c) {
		fprintf(stderr, PROG ": %s\n", err);
		return 1;
	}
	ret = coord_start(c);
	if (ret)
		fprintf(stderr, PROG ": starting threads: %s\n", strerror(-ret));
	if (o->seconds > 0)
		deadline = coord_now_ns() + (uint64_t)(o->seconds * NSEC_PER_SEC);
	/* The main thread only waits: for the flush count, the deadline or a signal. */
	while (!ret && !coord_finished(c)) {
		uint64_t now = coord_now_ns();

		if (now >= deadline)
			break;
		if (wait_signal(deadline - now < 10 * NSEC_PER_MSEC ? deadline - now : 10 * NSEC_PER_MSEC))
			break;
	}
	if (coord_stop(c, err, sizeof(err))) {
		fprintf(stderr, PROG ": %s\n", err);
		ret = -1;
	}
	coord_destroy(c);
	return ret ? 1 : 0;
}

/* The default --dir: a fresh directory, removed again at exit. */
static char *make_temp_dir(void)
{
	const char *base = getenv("TMPDIR");
	char *tmpl;

	if (!base || !*base)
		base = "/tmp";
	if (asprintf(&tmpl, "%s/" PROG ".XXXXXX", base) < 0)
		return NULL;
	if (!mkdtemp(tmpl)) {
		fprintf(stderr, PROG ": mkdtemp %s: %s\n", tmpl, strerror(errno));
		free(tmpl);
		return NULL;
	}
	return tmpl;
}

static void remove_temp_dir(char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, METAFILE_NAME);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", dir, METAFILE_TMP_NAME);
	unlink(path);
	if (rmdir(dir))
		fprintf(stderr, PROG ": rmdir %s: %s\n", dir, strerror(errno));
	free(dir);
}

int main(int argc, char **argv)
{
	struct telemetry tel;
	struct options o;
	char *tmpdir = NULL;
	const char *dir;
	int ret, rc = 0;

	ret = parse_options(argc, argv, &o);
	if (ret)
		return ret > 0 ? 0 : EXIT_USAGE;
	if (o.verify)
		return do_verify(o.verify);

	/* Every thread inherits the mask; only the main thread takes the signals. */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

	if (telemetry_init(&tel, o.spin ? o.writers : 1)) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	dir = o.dir;
	if (!o.spin) {
		if (!dir) {
			tmpdir = make_temp_dir();
			if (!tmpdir) {
				rc = 1;
				goto out;
			}
			dir = tmpdir;
		} else if (mkdir(dir, 0755) && errno != EEXIST) {
			fprintf(stderr, PROG ": mkdir %s: %s\n", dir, strerror(errno));
			rc = 1;
			goto out;
		}
	}
	if (o.log_path) {
		tel.log = fopen(o.log_path, "we");
		if (!tel.log) {
			fprintf(stderr, PROG ": %s: %s\n", o.log_path, strerror(errno));
			rc = 1;
			goto out;
		}
	}
	if (o.flush_log_path) {
		tel.flush_log = fopen(o.flush_log_path, "we");
		if (!tel.flush_log) {
			fprintf(stderr, PROG ": %s: %s\n", o.flush_log_path, strerror(errno));
			rc = 1;
			goto out;
		}
	}

	if (o.wait) {
		ret = wait_for_tracer(&o);
		if (ret == -ETIMEDOUT) {
			fprintf(stderr, PROG ": no tracer attached to the flashstrike probes within %g s "
				"(--wait-for-tracer)\n", o.wait_secs);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	/* A stop signal during the wait is a clean stop: report, having run nothing. */
	if (!(o.wait && ret > 0))
		rc = o.spin ? run_spin(&o, &tel) : run_flushes(&o, dir, &tel);

	if (tel.log) {
		int bad = fclose(tel.log);

		tel.log = NULL;
		if (bad) {
			fprintf(stderr, PROG ": %s: %s\n", o.log_path, strerror(errno));
			rc = rc ? rc : 1;
		}
	}
	if (tel.flush_log) {
		int bad = fclose(tel.flush_log);

		tel.flush_log = NULL;
		if (bad) {
			fprintf(stderr, PROG ": %s: %s\n", o.flush_log_path, strerror(errno));
			rc = rc ? rc : 1;
		}
	}
	if (report(&tel, &o))
		rc = rc ? rc : 1;
out:
	if (tel.log)
		fclose(tel.log);
	if (tel.flush_log)
		fclose(tel.flush_log);
	if (tmpdir)
		remove_temp_dir(tmpdir);
	free(tel.ms);
	return rc;
}
