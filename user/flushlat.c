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

#define FL_VERSION "0.1.0"

static volatile sig_atomic_t stop_sig;
static int verbose;

struct tracer {
	struct fl_opts o;
	struct flushlat *skel;
	struct fl_reader reader;
	struct fl_targets targets;
	struct bpf_link *links[2 * FL_MAX_TARGETS + 2 * FL_MAX_LIBS];
	int nlinks;
	struct fl_http *http;
	int stats_fd;
	FILE *out;
	pid_t child;     /* -- CMD: running child, 0 if none */
	int child_status;
	int child_done;
	int go_pipe;     /* write end: releases the child into exec */
	int pidfd;       /* -p: readable once the target exits (zombie included) */
	char exe[PATH_MAX];
};

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

static int pid_gone(pid_t pid)
{
	return kill(pid, 0) && errno == ESRCH;
}

/* Gone, or a zombie whose parent has not reaped it yet (no mappings left). */
static int pid_exited(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;
	int zombie = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 1;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) && p[1] == ' ')
		zombie = p[2] == 'Z' || p[2] == 'X';
	fclose(f);
	return zombie;
}

/* PATH lookup as execvp would, so the probes are found in the same file. */
static int resolve_cmd(const char *cmd, char *out, size_t len)
{
	const char *path = getenv("PATH");

	if (strchr(cmd, '/')) {
		snprintf(out, len, "%s", cmd);
		return access(out, X_OK);
	}
	for (const char *p = path ? path : "/usr/local/bin:/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");

		if (snprintf(out, len, "%.*s/%s", (int)n, n ? p : ".", cmd) < (int)len &&
		    !access(out, X_OK))
			return 0;
		p += n + (p[n] == ':');
	}
	return -1;
}

/* Which files to attach to; one clear message when there is nothing. */
static int find_files(struct tracer *t)
{
	struct fl_opts *o = &t->o;
	char other[512] = "";
	int ret;

	for (int i = 0; i < o->nlibs; i++) {
		ret = fl_has_probes(o->libs[i], NULL, 0);
		if (ret != 1) {
			fprintf(stderr, "flushlat: --lib %s: %s\n", o->libs[i],
				ret == 0 ? "no flashstrike USDT probes" :
				ret == -ENOEXEC ? "not an ELF file" :
				ret == -EINVAL ? "not a regular file" : strerror(-ret));
			return -1;
		}
	}
	if (o->pid) {
		if (pid_gone(o->pid)) {
			fprintf(stderr, "flushlat: no such process: %d\n", (int)o->pid);
			return -1;
		}
		/* A pidfd sees the exit even while the target is an unreaped zombie. */
		t->pidfd = (int)syscall(SYS_pidfd_open, o->pid, 0);
		if (fl_targets_from_pid(o->pid, &t->targets, other, sizeof(other))) {
			fprintf(stderr, "flushlat: cannot read /proc/%d/maps: %s\n", (int)o->pid,
				pid_gone(o->pid) ? "the process exited" : strerror(errno));
			return -1;
		}
		if (!t->targets.n && !o->nlibs && pid_exited(o->pid)) {
			fprintf(stderr, "flushlat: process %d has exited\n", (int)o->pid);
			return -1;
		}
		if (!t->targets.n && !o->nlibs) {
			fprintf(stderr, "flushlat: process %d has no flashstrike USDT probes (%s%s)\n",
				(int)o->pid, *other ? "it has: " : "no USDT probes at all",
				*other ? other : "");
			return -1;
		}
		return 0;
	}
	if (!o->binary && !o->cmd)
		return 0; /* --lib only */
	if (o->cmd) {
		if (resolve_cmd(o->cmd[0], t->exe, sizeof(t->exe))) {
			fprintf(stderr, "flushlat: command not found or not executable: %s\n", o->cmd[0]);
			return -1;
		}
	} else {
		snprintf(t->exe, sizeof(t->exe), "%s", o->binary);
	}
	ret = fl_has_probes(t->exe, other, sizeof(other));
	if (ret < 0) {
		fprintf(stderr, "flushlat: cannot read %s: %s\n", t->exe,
			ret == -ENOEXEC ? "not an ELF file" :
			ret == -EINVAL ? "not a regular file" : strerror(-ret));
		return -1;
	}
	if (ret == 1)
		snprintf(t->targets.path[t->targets.n++], PATH_MAX, "%s", t->exe);
	if (o->cmd)
		fl_targets_from_deps(t->exe, &t->targets);
	if (!t->targets.n && !o->nlibs) {
		fprintf(stderr, "flushlat: %s has no flashstrike USDT probes (%s%s)%s\n", t->exe,
			*other ? "it has: " : "no USDT probes at all", *other ? other : "",
			o->cmd ? ", nor do its shared libraries; name one with --lib" : "");
		return -1;
	}
	return 0;
}

/* Adds --lib files, skipping any already found (the same file twice would count twice). */
static int add_libs(struct tracer *t)
{
	char want[PATH_MAX], have[PATH_MAX];

	for (int i = 0; i < t->o.nlibs; i++) {
		int dup = 0;

		if (!realpath(t->o.libs[i], want))
			snprintf(want, sizeof(want), "%s", t->o.libs[i]);
		for (int j = 0; j < t->targets.n && !dup; j++)
			dup = realpath(t->targets.path[j], have) && !strcmp(want, have);
		if (dup)
			continue;
		if (t->targets.n == FL_MAX_TARGETS) {
			fprintf(stderr, "flushlat: too many files with probes (max %d)\n", FL_MAX_TARGETS);
			return -1;
		}
		snprintf(t->targets.path[t->targets.n++], PATH_MAX, "%s", t->o.libs[i]);
	}
	return 0;
}

static int find_targets(struct tracer *t)
{
	return find_files(t) || add_libs(t) ? -1 : 0;
}

static int attach_probe(struct tracer *t, struct bpf_program *prog, pid_t pid, const char *path,
			const char *probe)
{
	struct bpf_link *l = bpf_program__attach_usdt(prog, pid, path, "flashstrike", probe, NULL);
	int err = -errno;

	if (!l) {
		if (pid > 0 && pid_gone(pid))
			fprintf(stderr, "flushlat: process %d exited during attach\n", (int)pid);
		else
			fprintf(stderr, "flushlat: cannot attach flashstrike:%s in %s: %s%s (-v: libbpf's log)\n",
				probe, path, strerror(-err),
				err == -EPERM || err == -EACCES ?
					" (needs CAP_BPF+CAP_PERFMON or CAP_SYS_ADMIN)" :
				err == -ENOENT || err == -EOPNOTSUPP ?
					" (kernel without uprobe support?)" : "");
		return -1;
	}
	t->links[t->nlinks++] = l;
	return 0;
}

static int attach_file(struct tracer *t, pid_t pid, const char *path)
{
	if (!t->o.lean && attach_probe(t, t->skel->progs.meta_flush_start, pid, path, "meta_flush_start"))
		return -1;
	return attach_probe(t, t->skel->progs.meta_flush_done, pid, path, "meta_flush_done");
}

/*
 * Every file is attached with the target's PID, so the kernel filters: with
 * -- CMD that is the child, waiting before exec.  A library of CMD is not
 * mapped yet; libbpf needs its mapping only on kernels without BPF cookies
 * (< 5.15), where this falls back to tracing every process that maps the
 * library, and says so.
 */
static int attach_all(struct tracer *t)
{
	pid_t pid = t->o.pid ? t->o.pid : t->child ? t->child : -1;
	int nlinks;

	for (int i = 0; i < t->targets.n; i++) {
		const char *p = t->targets.path[i];

		nlinks = t->nlinks;
		if (!attach_file(t, pid, p))
			continue;
		if (!t->child || !strcmp(p, t->exe))
			return -1;
		while (t->nlinks > nlinks)
			bpf_link__destroy(t->links[--t->nlinks]);
		fprintf(stderr, "flushlat: warning: %s: attaching for every process that maps it "
				"(this kernel cannot filter a library not yet loaded by PID)\n", p);
		if (attach_file(t, -1, p))
			return -1;
	}
	return 0;
}

static void detach_all(struct tracer *t)
{
	while (t->nlinks)
		bpf_link__destroy(t->links[--t->nlinks]);
}

static int load_bpf(struct tracer *t)
{
	int ncpu, err;

	t->skel = flushlat__open();
	if (!t->skel) {
		fprintf(stderr, "flushlat: cannot open the BPF object: %s\n", strerror(errno));
		return -1;
	}
	t->skel->rodata->clock_mode = (__u32)t->o.clock;
	t->skel->rodata->start_attached = !t->o.lean;
	/*
	 * One process (-p, -- CMD: the kernel filters by its PID): the MetaStore
	 * is already its breakdown, so skip the per-process map.
	 */
	t->skel->rodata->track_procs = !(t->o.pid || t->o.cmd);
	if (flushlat__load(t->skel)) {
		err = errno;
		fprintf(stderr, "flushlat: cannot load the BPF program: %s%s (-v: libbpf's log)\n",
			strerror(err),
			err == EPERM ? " (needs CAP_BPF+CAP_PERFMON or CAP_SYS_ADMIN)" :
			err == ENOSYS ? " (kernel without BPF)" : "");
		return -1;
	}
	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0 || fl_reader_init(&t->reader, ncpu)) {
		fprintf(stderr, "flushlat: cannot set up the map reader\n");
		return -1;
	}
	t->reader.metastore_fd = bpf_map__fd(t->skel->maps.metastore);
	t->reader.hist_fd = bpf_map__fd(t->skel->maps.hist);
	t->reader.inflight_fd = bpf_map__fd(t->skel->maps.inflight);
	t->reader.procs_fd = bpf_map__fd(t->skel->maps.procs);
	t->reader.counters_fd = bpf_map__fd(t->skel->maps.counters);
	fl_reader_map_inflight(&t->reader);
	t->reader.lean = t->o.lean;
	t->reader.target_pid = t->o.pid ? t->o.pid : -1;
	if (!t->o.lean) {
		t->reader.prog_fds[t->reader.nprogs] = bpf_program__fd(t->skel->progs.meta_flush_start);
		t->reader.prog_names[t->reader.nprogs++] = "meta_flush_start";
	}
	t->reader.prog_fds[t->reader.nprogs] = bpf_program__fd(t->skel->progs.meta_flush_done);
	t->reader.prog_names[t->reader.nprogs++] = "meta_flush_done";
	err = fl_reader_seed(&t->reader);
	if (err) {
		fprintf(stderr, "flushlat: cannot initialise the MetaStore map: %s\n", strerror(-err));
		return -1;
	}
	if (t->o.bpf_stats) {
		t->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (t->stats_fd < 0)
			fprintf(stderr, "flushlat: warning: cannot enable BPF run-time statistics: %s\n",
				strerror(errno));
		t->reader.stats_on = t->stats_fd >= 0;
	}
	return 0;
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
	return t->o.pid && pid_gone(t->o.pid);
}

static int run_loop(struct tracer *t, struct fl_snapshot *prev)
{
	double t0 = now_s(), next = t0 + t->o.interval, next_comm = t0 + 0.2;
	struct timespec nap = { 0, 20 * 1000 * 1000 };

	while (!stop_sig) {
		nanosleep(&nap, NULL);
		if (target_ended(t))
			break;
		if (now_s() >= next_comm) {
			/* Names processes while they live, for the final report. */
			next_comm = now_s() + 1.0;
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

/* Fails early (before attaching) when the --listen port cannot be bound. */
static int start_http(struct tracer *t)
{
	char err[256];

	if (!t->o.listen)
		return 0;
	t->http = fl_http_start(t->o.listen, render_http, t, err, sizeof(err));
	if (!t->http) {
		fprintf(stderr, "flushlat: --listen %s: %s\n", t->o.listen, err);
		return -1;
	}
	return 0;
}

static void cleanup(struct tracer *t)
{
	if (t->http)
		fl_http_stop(t->http);
	if (t->go_pipe >= 0)
		close(t->go_pipe); /* child exits 127 without running CMD */
	if (t->child && !t->child_done) {
		waitpid(t->child, &t->child_status, 0);
		t->child_done = 1;
	}
	detach_all(t);
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
	if (setup_signals() || find_targets(&t) || load_bpf(&t))
		goto out;
	if (t.o.cmd && fork_child(&t))
		goto out;
	if (attach_all(&t))
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
