// SPDX-License-Identifier: MIT
/*
 * main.c - out-of-process flush-latency tracer for FlashStrike.
 *
 *   flushlat (-p PID | -b PATH | -- CMD [ARGS]) [options]
 *   flushlat report FILE.json | flushlat diff BASE.json NEW.json
 *   flushlat heatmap RUN.json -o heat.svg
 *
 * Sets a session up (options, privileges, probes, BPF, the child, the HTTP
 * socket), runs the loop, prints the final report and tears everything
 * down.  Never writes into the traced process: the kernel flips the probe
 * semaphores (uprobe ref_ctr_offset), and every probe is a perf-event link
 * that the kernel removes if we die.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "anatomy.h"
#include "caps.h"
#include "exitcodes.h"
#include "flushlat.skel.h"
#include "heatmap_cmd.h"
#include "http.h"
#include "loop.h"
#include "msg.h"
#include "report.h"
#include "session.h"
#include "live.h"

static int verbose;

/*
 * libbpf's own messages only with -v: every failure gets one line of ours
 * naming the cause (and pointing at -v for libbpf's details).
 */
static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	if (!verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/*
 * fds 0-2 always open, so nothing we open becomes "stdout".  A closed one is
 * filled with /dev/null opened read-only: a write to it still fails (EBADF),
 * as it would have, instead of vanishing.  Returns a bit per closed fd.
 */
static int std_fds(void)
{
	int closed = 0;

	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int n = open("/dev/null", O_RDONLY);

			closed |= 1 << fd;
			if (n >= 0 && n != fd) {
				dup2(n, fd);
				close(n);
			}
		}
	}
	return closed;
}

/* Snapshots to a closed stdout (stderr with CMD) would be lost: say so before attaching. */
static int check_destination(const struct fl_session *t, int closed)
{
	int fd = t->o.cmd ? 2 : 1;

	if (t->o.output || !(closed & (1 << fd)))
		return 0;
	fprintf(stderr, "flushlat: standard %s is closed: nowhere to write the snapshots "
			"(give --output FILE)\n", fd == 1 ? "output" : "error");
	return -1;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * One scrape: read + merge the maps and render.  The previous scrape's cost
 * is exported too (this one's is not known until the text is done): the
 * tracer's own cost, like Prometheus' scrape_duration.  Called from the one
 * HTTP thread only.
 */
static int render_http(void *ctx, enum fl_expo_fmt fmt, struct strbuf *out)
{
	static uint64_t last_ns;
	struct fl_session *t = ctx;
	struct fl_snapshot s;
	uint64_t a = mono_ns();

	if (fl_reader_read(&t->reader, t->http_consumer, &s))
		return -1;
	fl_snapshot_settle(&s);
	s.prev_scrape_ns = last_ns;
	fl_render_expo(fmt, &s, &t->o.render, out);
	fl_snapshot_free(&s);
	last_ns = mono_ns() - a;
	return 0;
}

/* The last snapshot of the run; thresholds judge the whole run. */
static int final_report(struct fl_session *t, const struct fl_snapshot *prev)
{
	struct fl_snapshot cur, d;
	int held = 0, unknown = 0, err, aerr;

	/* the run's last records first, then its snapshot (also when --folded failed) */
	aerr = fl_anat_finish(t);
	err = fl_reader_read(&t->reader, t->consumer, &cur);
	if (err) {
		fprintf(stderr, "flushlat: cannot read the BPF maps: %s\n", strerror(-err));
		return -1;
	}
	if (t->o.delta && !fl_snapshot_delta(&d, &cur, prev)) {
		err = fl_emit(t, &d);
		fl_snapshot_free(&d);
	} else {
		err = fl_emit(t, &cur);
	}
	fl_snapshot_settle(&cur); /* judged as shown (the delta above used it raw) */
	for (int i = 0; i < t->o.nfail_if; i++) {
		char why[256];

		int r = fl_threshold_eval(&t->o.fail_if[i], &cur, why, sizeof(why));

		/* unknown: failed flushes, since a file without their probe was deployed */
		if (r)
			fprintf(stderr, "flushlat: %s\n", why);
		held |= r > 0;
		unknown |= r < 0;
	}
	fl_snapshot_free(&cur);
	if (err || aerr)
		return -1;
	return held ? FL_EXIT_THRESHOLD : unknown ? FL_EXIT_RUNTIME : FL_EXIT_OK;
}

/* Binds --listen before anything is attached: a port in use fails cleanly. */
static int bind_http(struct fl_session *t)
{
	char err[256];

	if (!t->o.listen)
		return 0;
	t->http_fd = fl_http_bind(&t->o.listen_addr, err, sizeof(err));
	if (t->http_fd < 0) {
		fl_err("--listen %s: %s", t->o.listen, err);
		return -1;
	}
	return 0;
}

/*
 * What /metrics may answer in: --compat keeps the recorder's names, which
 * are valid text 0.0.4 only; protobuf carries the native histogram, so
 * --native-schema none leaves it out (Prometheus then gets OpenMetrics).
 */
static unsigned int offered_formats(const struct fl_session *t)
{
	unsigned int f = 1U << FL_EXPO_TEXT;

	if (t->o.render.compat)
		return f;
	f |= 1U << FL_EXPO_OPENMETRICS;
	if (t->o.native_schema != FL_NATIVE_NONE)
		f |= 1U << FL_EXPO_PROTOBUF;
	return f;
}

struct http_start {
	struct fl_session *t;
	int fd;
	char err[256];
};

/*
 * Capabilities are per thread, and a thread starts with its creator's: the
 * server's threads are created from one that dropped every capability, even
 * while the main thread keeps some to follow deploys (-b, --lib).
 */
static void *http_start_unprivileged(void *arg)
{
	struct http_start *a = arg;

	if (fl_caps_drop_all()) {
		snprintf(a->err, sizeof(a->err), "cannot drop capabilities: %s", strerror(errno));
		close(a->fd);
		return NULL;
	}
	a->t->http = fl_http_start_fd(a->fd, offered_formats(a->t), render_http, a->t, a->err,
					 sizeof(a->err));
	return NULL;
}

/* Serves it once attached, from threads without any capability. */
static int start_http(struct fl_session *t)
{
	struct http_start a = { .t = t, .fd = t->http_fd };
	pthread_t th;

	if (a.fd < 0)
		return 0;
	t->http_fd = -1; /* the server owns it now */
	/* every scraper (an HA pair) sees an exited process's final counts for --window */
	t->http_consumer = fl_reader_consumer(&t->reader, (uint64_t)(t->o.window * 1e9));
	if (pthread_create(&th, NULL, http_start_unprivileged, &a)) {
		close(a.fd);
		snprintf(a.err, sizeof(a.err), "cannot create a thread");
	} else {
		pthread_join(th, NULL);
	}
	if (!t->http) {
		fl_err("--listen %s: %s", t->o.listen, a.err);
		return -1;
	}
	return 0;
}

/*
 * --output is opened once the run has started: a failed start leaves it
 * untouched.  Never blocks: a FIFO without a reader is refused (signals are
 * blocked here, so a blocking open could not even be interrupted).
 */
static int open_output(struct fl_session *t)
{
	int fd;

	t->out = t->o.cmd ? stderr : stdout;
	if (!t->o.output)
		return 0;
	fd = open(t->o.output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0666);
	if (fd >= 0)
		t->out = fdopen(fd, "w");
	if (fd < 0 || !t->out || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)) {
		fl_err("cannot open --output %s: %s", t->o.output,
		       errno == ENXIO ? "a FIFO with no reader" : strerror(errno));
		if (t->out)
			fclose(t->out);
		else if (fd >= 0)
			close(fd);
		t->out = NULL;
		return -1;
	}
	return 0;
}

static void cleanup(struct fl_session *t)
{
	fl_live_stop(t); /* the terminal first: messages below must be seen */
	if (t->http)
		fl_http_stop(t->http);
	if (t->http_fd >= 0)
		close(t->http_fd);
	fl_child_cleanup(&t->child);
	fl_watch_stop(&t->watch);
	fl_detach_all(t);
	fl_targets_close(&t->targets);
	if (t->reader_open)
		fl_reader_close(&t->reader);
	fl_anat_close(t->anat);
	flushlat__destroy(t->skel);
	if (t->stats_fd > 0)
		close(t->stats_fd);
	if (t->pidfd >= 0)
		close(t->pidfd);
	if (t->out && t->out != stdout && t->out != stderr)
		fclose(t->out);
}

static int exit_status(struct fl_session *t, int report)
{
	int cmd;

	if (report < 0)
		return FL_EXIT_RUNTIME;
	/* CMD's own failure wins: a CI job must see why its workload failed. */
	cmd = fl_child_exit_code(&t->child);
	/* CMD stopped by a signal we forwarded (any of them) is not its failure. */
	if (cmd && !fl_child_stopped_by_us(&t->child))
		return cmd;
	return report;
}

/* Everything up to the moment the probes are live and CMD may run. */
static int start(struct fl_session *t, int closed)
{
	char err[512];

	if (check_destination(t, closed))
		return -1;
	if (fl_caps_check(err, sizeof(err))) {
		fprintf(stderr, "flushlat: %s\n", err);
		return -1;
	}
	if (fl_loop_block_signals(t) || bind_http(t) || fl_find_targets(t) || fl_load_bpf(t))
		return -1;
	if (t->o.cmd && fl_child_fork(&t->child, t->exe, t->o.cmd, err, sizeof(err))) {
		fprintf(stderr, "flushlat: %s\n", err);
		return -1;
	}
	if (fl_attach_all(t) || fl_watch_start(t))
		return -1;
	/*
	 * Attached: nothing below needs a privilege (fds are already open), but
	 * attaching to a deployed file again (-b, --lib) does: those sessions
	 * keep what it takes in the permitted set only.
	 */
	if (t->watch.ifd >= 0 ? fl_caps_keep_for_attach() : fl_caps_drop_all())
		fl_err("warning: cannot drop capabilities: %s", strerror(errno));
	t->consumer = fl_reader_consumer(&t->reader, 0);
	if (start_http(t) || open_output(t) || fl_anat_open_files(t))
		return -1;
	fprintf(stderr, "flushlat: attached to %d probe%s in %d file%s%s\n", t->nlinks,
		t->nlinks == 1 ? "" : "s", t->targets.n, t->targets.n == 1 ? "" : "s",
		t->o.listen ? ", serving /metrics" : "");
	/* the live view is up before CMD runs: a failure cannot leave CMD behind */
	if (fl_live_start(t))
		return -1;
	if (t->child.pid && fl_child_release(&t->child)) {
		fl_live_stop(t);
		fprintf(stderr, "flushlat: the command exited before it could start\n");
		return -1;
	}
	return 0;
}

/* The run, then (on the main screen again after --watch) the final report. */
static int run(struct fl_session *t, struct fl_snapshot *prev)
{
	int err = fl_loop_run(t, prev);

	fl_live_stop(t);
	return err ? -1 : final_report(t, prev);
}

int main(int argc, char **argv)
{
	static struct fl_session t = { .child = FL_CHILD_INIT, .pidfd = -1, .http_fd = -1,
				       .watch = FL_WATCH_INIT };
	struct fl_snapshot prev;
	char err[512];
	int ret = FL_EXIT_RUNTIME, closed;

	closed = std_fds();
	if (argc > 1 && !strcmp(argv[1], "report"))
		return fl_cmd_report(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "diff"))
		return fl_cmd_diff(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "heatmap"))
		return fl_cmd_heatmap(argc - 1, argv + 1);
	if (fl_opts_parse(argc, argv, &t.o, err, sizeof(err))) {
		fl_err("%s", err); /* it quotes what was given */
		return FL_EXIT_USAGE;
	}
	if (t.o.help) {
		fl_usage(stdout);
		return fflush(stdout) || ferror(stdout) ? FL_EXIT_RUNTIME : FL_EXIT_OK;
	}
	if (t.o.version) {
		printf("flushlat %s\n", FL_VERSION);
		return fflush(stdout) || ferror(stdout) ? FL_EXIT_RUNTIME : FL_EXIT_OK;
	}
	if (t.o.list_values) {
		fl_list_values(t.o.list_values, stdout);
		return fflush(stdout) || ferror(stdout) ? FL_EXIT_RUNTIME : FL_EXIT_OK;
	}
	if (fl_live_check(&t.o))
		return FL_EXIT_USAGE;
	verbose = t.o.verbose;
	libbpf_set_print(print_fn);
	fl_snapshot_init(&prev);
	/* After a write error the run is over: no final report, exit 1. */
	if (start(&t, closed) == 0)
		ret = exit_status(&t, run(&t, &prev));
	fl_snapshot_free(&prev);
	cleanup(&t);
	return ret;
}
