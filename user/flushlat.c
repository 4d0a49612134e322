// SPDX-License-Identifier: MIT
/*
 * flushlat.c - out-of-process flush-latency tracer for FlashStrike.
 *
 *   flushlat (-p PID | -b PATH | -- CMD [ARGS]) [options]
 *   flushlat report FILE.json | flushlat diff BASE.json NEW.json
 *
 * Loads flushlat.bpf.c, attaches it to the flashstrike:meta_flush_start/done
 * USDT probes, and renders the merged per-CPU MetaStore (the recorder's own
 * dump text), percentiles and in-flight flushes as text, JSON or Prometheus,
 * on stdout/--output and over HTTP.  Never writes into the traced process:
 * the kernel flips the probe semaphores (uprobe ref_ctr_offset), and every
 * probe is a perf-event link that the kernel removes if we die.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "caps.h"
#include "flushlat.h"
#include "flushlat.skel.h"
#include "http.h"
#include "json.h"
#include "maps.h"
#include "metastore.h"
#include "opts.h"
#include "reader.h"
#include "render.h"
#include "report.h"
#include "target.h"
#include "tracer.h"

#define FL_VERSION "0.1.0"

static volatile sig_atomic_t stop_sig;
static int verbose;

static void on_signal(int sig)
{
	stop_sig = sig;
}

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

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Forks CMD stopped before exec; released by start_child() once attached. */
static int fork_child(struct tracer *t)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC)) {
		fprintf(stderr, "flushlat: pipe: %s\n", strerror(errno));
		return -1;
	}
	t->child = fork();
	if (t->child < 0) {
		fprintf(stderr, "flushlat: fork: %s\n", strerror(errno));
		t->child = 0;
		return -1;
	}
	if (t->child == 0) {
		char c;

		close(fds[1]);
		/* EOF without a byte: the tracer failed to attach; do not run. */
		if (read(fds[0], &c, 1) != 1)
			_exit(127);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		execv(t->exe, t->o.cmd);
		fprintf(stderr, "flushlat: exec %s: %s\n", t->exe, strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	t->go_pipe = fds[1];
	t->reader.target_pid = t->child;
	return 0;
}

static int start_child(struct tracer *t)
{
	int ok = write(t->go_pipe, "x", 1) == 1;

	close(t->go_pipe);
	t->go_pipe = -1;
	return ok ? 0 : -1;
}

/*
 * One scrape: read + merge the maps and render, timed.  The time of the
 * previous scrape is exported too (the current one is not known until the
 * text is done): the tracer's own cost, like Prometheus' scrape_duration.
 */
static int render_http(void *ctx, struct strbuf *out)
{
	static _Atomic uint64_t last_ns;
	struct tracer *t = ctx;
	struct fl_snapshot s;
	struct timespec a, b;
	uint64_t prev = last_ns;

	clock_gettime(CLOCK_MONOTONIC, &a);
	if (fl_reader_read(&t->reader, &s))
		return -1;
	s.lean = t->o.lean;
	fl_render_prom(&s, &t->o.render, out);
	fl_snapshot_free(&s);
	clock_gettime(CLOCK_MONOTONIC, &b);
	last_ns = (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000ULL + (uint64_t)b.tv_nsec -
		  (uint64_t)a.tv_nsec;
	if (prev && !t->o.render.compat) {
		const char *p = t->o.render.prefix;

		strbuf_printf(out, "# HELP %s_scrape_duration_seconds Time flushlat took to read and merge "
				   "its BPF maps and render the previous scrape.\n"
				   "# TYPE %s_scrape_duration_seconds gauge\n"
				   "%s_scrape_duration_seconds %.9f\n", p, p, p, (double)prev / 1e9);
	}
	return 0;
}

static int emit(struct tracer *t, const struct fl_snapshot *s)
{
	struct strbuf sb;
	int err;

	strbuf_init(&sb);
	fl_render(t->o.format, s, &t->o.render, &sb);
	err = sb.oom || fwrite(strbuf_str(&sb), 1, sb.len, t->out) != sb.len || fflush(t->out);
	strbuf_free(&sb);
	if (err)
		fprintf(stderr, "flushlat: cannot write the snapshot: %s\n", strerror(errno));
	return err ? -1 : 0;
}

static int read_snapshot(struct tracer *t, struct fl_snapshot *s)
{
	int err = fl_reader_read(&t->reader, s);

	if (err) {
		fprintf(stderr, "flushlat: cannot read the BPF maps: %s\n", strerror(-err));
		return -1;
	}
	s->lean = t->o.lean;
	return 0;
}

/* One --interval tick: cumulative, or the change since the last tick. */
static int tick(struct tracer *t, struct fl_snapshot *prev)
{
	struct fl_snapshot cur, d;
	int err;

	if (read_snapshot(t, &cur))
		return -1;
	if (!t->o.delta) {
		err = emit(t, &cur);
	} else {
		if (fl_snapshot_delta(&d, &cur, prev)) {
			fl_snapshot_free(&cur);
			return -1;
		}
		err = emit(t, &d);
		fl_snapshot_free(&d);
	}
	fl_snapshot_free(prev);
	*prev = cur;
	return err;
}

/* Has the target gone?  Reaps the child in -- CMD mode. */
static int target_ended(struct tracer *t)
{
	if (t->child && !t->child_done) {
		siginfo_t si = { 0 };

		/* Peek without reaping: the zombie's /proc/PID/comm still names it. */
		if (waitid(P_PID, (id_t)t->child, &si, WEXITED | WNOHANG | WNOWAIT) || !si.si_pid)
			return 0;
		fl_reader_note_comms(&t->reader);
		waitpid(t->child, &t->child_status, 0);
		t->child_done = 1;
		return 1;
	}
	if (t->o.pid && t->pidfd >= 0) {
		struct pollfd pfd = { .fd = t->pidfd, .events = POLLIN };

		return poll(&pfd, 1, 0) > 0;
	}
	return t->o.pid && fl_pid_gone(t->o.pid);
}

static int run_loop(struct tracer *t, struct fl_snapshot *prev)
{
	double t0 = now_s(), next = t0 + t->o.interval, next_comm = t0;
	struct timespec nap = { 0, 20 * 1000 * 1000 };

	while (!stop_sig) {
		nanosleep(&nap, NULL);
		if (target_ended(t))
			break;
		if (now_s() >= next_comm) {
			/* Names processes while they live, for the final report. */
			next_comm = now_s() + 0.1;
			fl_reader_note_comms(&t->reader);
		}
		if (t->o.duration && now_s() - t0 >= t->o.duration)
			break;
		if (t->o.interval && now_s() >= next) {
			next += t->o.interval;
			if (tick(t, prev))
				return -1;
		}
	}
	/* Ctrl-C / SIGTERM / --duration in CMD mode: stop the command, cleanly. */
	if (t->child && !t->child_done) {
		kill(t->child, stop_sig ? stop_sig : SIGTERM);
		waitpid(t->child, &t->child_status, 0);
		t->child_done = 1;
	}
	return 0;
}

static int final_report(struct tracer *t, struct fl_snapshot *prev)
{
	struct fl_snapshot cur, d;
	int held = 0, err;

	if (read_snapshot(t, &cur))
		return -1;
	if (t->o.delta && !fl_snapshot_delta(&d, &cur, prev)) {
		err = emit(t, &d);
		fl_snapshot_free(&d);
	} else {
		err = emit(t, &cur);
	}
	/* Thresholds always judge the whole run, not the last interval. */
	for (int i = 0; i < t->o.nfail_if; i++) {
		char why[256];

		if (fl_threshold_eval(&t->o.fail_if[i], &cur, why, sizeof(why))) {
			fprintf(stderr, "flushlat: %s\n", why);
			held = 1;
		}
	}
	fl_snapshot_free(&cur);
	if (err)
		return -1;
	return held ? FL_EXIT_THRESHOLD : 0;
}

/* Binds --listen before anything is attached: a port in use fails cleanly. */
static int bind_http(struct tracer *t)
{
	char err[256];

	if (!t->o.listen)
		return 0;
	t->http_fd = fl_http_bind(t->o.listen, err, sizeof(err));
	if (t->http_fd < 0) {
		fprintf(stderr, "flushlat: %s\n", err);
		return -1;
	}
	return 0;
}

/* Serves it once attached and unprivileged (the server thread inherits no capability). */
static int start_http(struct tracer *t)
{
	char err[256];
	int fd = t->http_fd;

	if (fd < 0)
		return 0;
	t->http_fd = -1; /* the server owns it now */
	t->http = fl_http_start_fd(fd, render_http, t, err, sizeof(err));
	if (!t->http) {
		fprintf(stderr, "flushlat: %s\n", err);
		return -1;
	}
	return 0;
}

static void cleanup(struct tracer *t)
{
	if (t->http)
		fl_http_stop(t->http);
	if (t->http_fd >= 0)
		close(t->http_fd);
	if (t->go_pipe >= 0)
		close(t->go_pipe); /* child exits 127 without running CMD */
	if (t->child && !t->child_done) {
		waitpid(t->child, &t->child_status, 0);
		t->child_done = 1;
	}
	fl_detach_all(t);
	flushlat__destroy(t->skel);
	if (t->reader.ms_buf)
		fl_reader_free(&t->reader);
	if (t->stats_fd > 0)
		close(t->stats_fd);
	if (t->pidfd >= 0)
		close(t->pidfd);
	if (t->out && t->out != stdout && t->out != stderr)
		fclose(t->out);
}

static int exit_status(struct tracer *t, int report)
{
	if (report < 0)
		return 1;
	/* CMD's own failure wins: a CI job must see why its workload failed. */
	if (t->child && t->child_done) {
		int st = t->child_status;
		int cmd = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);

		/* CMD stopped by our own forwarded signal is not its failure. */
		if (cmd && !(stop_sig && WIFSIGNALED(st) && WTERMSIG(st) == stop_sig))
			return cmd;
	}
	return report;
}

static int setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigaction(SIGHUP, &sa, NULL))
		return -1;
	signal(SIGPIPE, SIG_IGN); /* a scraper hanging up must not kill us */
	return 0;
}

int main(int argc, char **argv)
{
	static struct tracer t; /* large; zeroed */
	struct fl_snapshot prev;
	char err[512];
	int ret;

	if (argc > 1 && !strcmp(argv[1], "report"))
		return fl_cmd_report(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "diff"))
		return fl_cmd_diff(argc - 1, argv + 1);
	if (fl_opts_parse(argc, argv, &t.o, err, sizeof(err))) {
		fprintf(stderr, "flushlat: %s\n", err);
		return 2;
	}
	if (t.o.help) {
		fl_usage(stdout);
		return 0;
	}
	if (t.o.version) {
		printf("flushlat %s\n", FL_VERSION);
		return 0;
	}
	verbose = t.o.verbose;
	t.go_pipe = -1;
	t.pidfd = -1;
	t.http_fd = -1;
	t.out = t.o.cmd ? stderr : stdout;
	if (t.o.output) {
		t.out = fopen(t.o.output, "we");
		if (!t.out) {
			fprintf(stderr, "flushlat: cannot open --output %s: %s\n", t.o.output,
				strerror(errno));
			return 1;
		}
	}
	libbpf_set_print(print_fn);
	ret = 1;
	if (fl_caps_check(err, sizeof(err))) {
		fprintf(stderr, "flushlat: %s\n", err);
		goto out;
	}
	if (setup_signals() || bind_http(&t) || fl_find_targets(&t) || fl_load_bpf(&t))
		goto out;
	if (t.o.cmd && fork_child(&t))
		goto out;
	if (fl_attach_all(&t))
		goto out;
	/* Attached: nothing below needs a privilege (fds are already open). */
	if (fl_caps_drop_all())
		fprintf(stderr, "flushlat: warning: cannot drop capabilities: %s\n", strerror(errno));
	if (start_http(&t))
		goto out;
	if (t.child && start_child(&t))
		goto out;
	fprintf(stderr, "flushlat: attached to %d probe%s in %d file%s%s\n", t.nlinks,
		t.nlinks == 1 ? "" : "s", t.targets.n,
		t.targets.n == 1 ? "" : "s", t.o.listen ? ", serving /metrics" : "");
	memset(&prev, 0, sizeof(prev));
	metastore_init(&prev.ms);
	if (run_loop(&t, &prev) == 0)
		ret = exit_status(&t, final_report(&t, &prev));
	fl_snapshot_free(&prev);
out:
	cleanup(&t);
	return ret;
}
