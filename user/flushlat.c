// SPDX-License-Identifier: MIT
/*
 * flushlat.c - out-of-process flush-latency tracer for FlashStrike.
 *
 *   flushlat (-p PID | -b PATH | -- CMD [ARGS]) [options]
 *
 * Attaches to the flashstrike:meta_flush_start/done USDT probes, records
 * every flush into a per-CPU MetaStore map and prints the merged reading.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "flushlat.skel.h"
#include "flushlat.h"
#include "maps.h"
#include "target.h"

#define FL_VERSION "0.1.0"

static volatile sig_atomic_t stop;
static int verbose;

struct opts {
	pid_t pid;
	const char *binary;
	const char *libs[FL_MAX_TARGETS];
	int nlibs;
	int clock;
	int lean;
	int json;
	int delta;
	double interval;
	double duration;
	const char *output;
	char **cmd;
};

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: flushlat (-p PID | -b PATH | -- CMD [ARGS...]) [options]\n"
"\n"
"Trace FlashStrike meta-flush latency via the flashstrike USDT probes.\n"
"\n"
"  -p, --pid PID       trace process PID (its exe and every mapped file with\n"
"                      flashstrike probes, opened via /proc/PID/root)\n"
"  -b, --binary PATH   trace every process (present and future) running PATH\n"
"      --lib PATH      also attach to library PATH (repeatable)\n"
"      --clock C       recorder (default): duration = end_ns - start_ns from the\n"
"                      probe arguments, equal to the in-process MetaStore;\n"
"                      kernel: bpf_ktime_get_ns at both probes\n"
"      --lean          attach meta_flush_done only (recorder clock only); the\n"
"                      in-flight view and unmatched count are then unknown\n"
"      --format F      text (default) or json\n"
"      --interval S    print a cumulative reading every S seconds\n"
"      --delta         with --interval: per-interval readings; interval min/max\n"
"                      are printed only when they changed the cumulative\n"
"                      extreme, otherwise unknown (-)\n"
"      --duration S    stop after S seconds\n"
"      --output FILE   write readings to FILE (default stdout; stderr in CMD mode)\n"
"  -v, --verbose       libbpf debug output\n"
"  -h, --help          this help\n"
"  -V, --version       version\n"
"\n"
"Exit: 0 ok, 1 runtime error, 2 usage error; with -- CMD, CMD's exit status\n"
"(128+signal if it was killed).\n");
}

static int parse_num(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno || *end || end == s || *out < 0 ? -1 : 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "binary", required_argument, NULL, 'b' },
		{ "lib", required_argument, NULL, 'L' },
		{ "clock", required_argument, NULL, 'c' },
		{ "lean", no_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'f' },
		{ "interval", required_argument, NULL, 'i' },
		{ "delta", no_argument, NULL, 'd' },
		{ "duration", required_argument, NULL, 'D' },
		{ "output", required_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	char *end;
	long v;
	int c;

	while ((c = getopt_long(argc, argv, "+p:b:vhV", lo, NULL)) != -1) {
		switch (c) {
		case 'p':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v <= 0 || v > 0x3fffffff) {
				fprintf(stderr, "flushlat: bad --pid '%s'\n", optarg);
				return 2;
			}
			o->pid = (pid_t)v;
			break;
		case 'b':
			o->binary = optarg;
			break;
		case 'L':
			if (o->nlibs == FL_MAX_TARGETS) {
				fprintf(stderr, "flushlat: too many --lib\n");
				return 2;
			}
			o->libs[o->nlibs++] = optarg;
			break;
		case 'c':
			if (!strcmp(optarg, "recorder"))
				o->clock = FL_CLOCK_RECORDER;
			else if (!strcmp(optarg, "kernel"))
				o->clock = FL_CLOCK_KERNEL;
			else {
				fprintf(stderr, "flushlat: bad --clock '%s' (recorder|kernel)\n", optarg);
				return 2;
			}
			break;
		case 'l':
			o->lean = 1;
			break;
		case 'f':
			if (!strcmp(optarg, "json"))
				o->json = 1;
			else if (strcmp(optarg, "text")) {
				fprintf(stderr, "flushlat: bad --format '%s' (text|json)\n", optarg);
				return 2;
			}
			break;
		case 'i':
			if (parse_num(optarg, &o->interval) || o->interval == 0) {
				fprintf(stderr, "flushlat: bad --interval '%s'\n", optarg);
				return 2;
			}
			break;
		case 'd':
			o->delta = 1;
			break;
		case 'D':
			if (parse_num(optarg, &o->duration) || o->duration == 0) {
				fprintf(stderr, "flushlat: bad --duration '%s'\n", optarg);
				return 2;
			}
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("flushlat %s\n", FL_VERSION);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		o->cmd = argv + optind;
	if (!!o->pid + !!o->binary + !!o->cmd != 1 && !(o->nlibs && !o->pid && !o->cmd)) {
		fprintf(stderr, "flushlat: give exactly one of -p PID, -b PATH, -- CMD\n");
		return 2;
	}
	if (o->lean && o->clock == FL_CLOCK_KERNEL) {
		fprintf(stderr, "flushlat: --lean needs --clock recorder\n");
		return 2;
	}
	if (o->delta && !o->interval) {
		fprintf(stderr, "flushlat: --delta needs --interval\n");
		return 2;
	}
	return 0;
}

/* The skeleton has one link slot per program, but we attach once per file:
 * keep our own list and destroy every link before the skeleton. */
static struct bpf_link *links[2 * 2 * FL_MAX_TARGETS];
static int nlinks;

static void destroy_links(void)
{
	while (nlinks)
		bpf_link__destroy(links[--nlinks]);
}

static int attach_one(struct flushlat *s, const struct opts *o, pid_t pid, const char *path)
{
	struct bpf_link *l;

	if (!o->lean) {
		l = bpf_program__attach_usdt(s->progs.meta_flush_start, pid, path, "flashstrike",
					     "meta_flush_start", NULL);
		if (!l)
			goto fail;
		links[nlinks++] = l;
	}
	l = bpf_program__attach_usdt(s->progs.meta_flush_done, pid, path, "flashstrike",
				     "meta_flush_done", NULL);
	if (!l)
		goto fail;
	links[nlinks++] = l;
	return 0;
fail:
	fprintf(stderr, "flushlat: cannot attach to %s: %s%s\n", path, strerror(errno),
		errno == EPERM ? " (needs CAP_BPF+CAP_PERFMON or CAP_SYS_ADMIN)" : "");
	return -1;
}

/* An array map starts zeroed, but an empty duration64 has min_ns =
 * UINT64_MAX: seed every CPU's copy before attaching so the BPF min CAS
 * loop and the user-space merge see the in-process initial state. */
static int init_metastore(struct flushlat *s, int ncpu)
{
	struct metastore *ms = calloc((size_t)ncpu, sizeof(*ms));
	__u32 zero = 0;
	int err;

	if (!ms)
		return -1;
	for (int i = 0; i < ncpu; i++)
		fl_metastore_init(&ms[i]);
	err = bpf_map__update_elem(s->maps.metastore, &zero, sizeof(zero), ms,
				   (size_t)ncpu * sizeof(*ms), 0);
	if (err)
		fprintf(stderr, "flushlat: cannot initialise map: %s\n", strerror(-err));
	free(ms);
	return err;
}

static int read_reading(struct flushlat *s, int ncpu, struct fl_reading *r)
{
	size_t hsz = (size_t)ncpu * FL_HIST_NBUCKETS * sizeof(uint64_t);
	struct metastore *ms = calloc((size_t)ncpu, sizeof(*ms));
	uint64_t *h = malloc(hsz), cnt[64];
	struct fl_inflight_key k, nk, *pk = NULL;
	__u32 zero = 0;
	int err = -1;

	memset(r, 0, sizeof(*r));
	fl_metastore_init(&r->ms);
	if (!ms || !h || ncpu > 64)
		goto out;
	if (bpf_map__lookup_elem(s->maps.metastore, &zero, sizeof(zero), ms,
				 (size_t)ncpu * sizeof(*ms), 0))
		goto out;
	fl_merge_metastore(&r->ms, ms, ncpu);
	if (bpf_map__lookup_elem(s->maps.hist, &zero, sizeof(zero), h, hsz, 0))
		goto out;
	fl_merge_u64(r->hist, h, FL_HIST_NBUCKETS, ncpu);
	for (__u32 i = 0; i < FL_CNT_NR; i++) {
		uint64_t sum = 0;

		if (bpf_map__lookup_elem(s->maps.counters, &i, sizeof(i), cnt,
					 (size_t)ncpu * sizeof(uint64_t), 0))
			goto out;
		fl_merge_u64(&sum, cnt, 1, ncpu);
		if (i == FL_CNT_UNMATCHED)
			r->unmatched = sum;
		else if (i != FL_CNT_CAS_GIVEUP)
			r->dropped += sum;
	}
	while (!bpf_map__get_next_key(s->maps.inflight, pk, &nk, sizeof(nk))) {
		r->in_flight++;
		k = nk;
		pk = &k;
	}
	err = 0;
out:
	free(ms);
	free(h);
	return err;
}

static void print_reading(FILE *f, const struct opts *o, const struct fl_reading *r)
{
	const struct duration64 *d = &r->ms.maintenance_meta_flush;
	char mn[32] = "-", mx[32] = "-";

	if (d->min_ns.value != FL_MIN_EMPTY)
		snprintf(mn, sizeof(mn), "%llu", (unsigned long long)d->min_ns.value);
	if (d->max_ns.value || (d->samples.value && !o->delta))
		snprintf(mx, sizeof(mx), "%llu", (unsigned long long)d->max_ns.value);
	if (o->json) {
		fprintf(f, "{\"samples\":%llu,\"total_ns\":%llu,\"min_ns\":%s,\"max_ns\":%s,"
			   "\"unmatched\":%llu,\"dropped\":%llu,\"in_flight\":",
			(unsigned long long)d->samples.value, (unsigned long long)d->total_ns.value,
			d->samples.value && strcmp(mn, "-") ? mn : "null",
			d->samples.value && strcmp(mx, "-") ? mx : "null",
			(unsigned long long)r->unmatched, (unsigned long long)r->dropped);
		if (o->lean)
			fprintf(f, "null}\n");
		else
			fprintf(f, "%llu}\n", (unsigned long long)r->in_flight);
	} else {
		fprintf(f, "meta_flush samples=%llu total_ns=%llu min_ns=%s max_ns=%s "
			   "unmatched=%llu dropped=%llu in_flight=",
			(unsigned long long)d->samples.value, (unsigned long long)d->total_ns.value,
			d->samples.value ? mn : "-", d->samples.value ? mx : "-",
			(unsigned long long)r->unmatched, (unsigned long long)r->dropped);
		if (o->lean)
			fprintf(f, "unknown\n");
		else
			fprintf(f, "%llu\n", (unsigned long long)r->in_flight);
	}
	fflush(f);
}

static int resolve_cmd(const char *cmd, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char dir[PATH_MAX / 2];

	if (strchr(cmd, '/')) {
		snprintf(out, len, "%s", cmd);
		return access(out, X_OK);
	}
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");

		snprintf(dir, sizeof(dir), "%.*s", (int)n, p);
		if (snprintf(out, len, "%s/%s", n ? dir : ".", cmd) < (int)len &&
		    !access(out, X_OK))
			return 0;
		p += n + (p[n] == ':');
	}
	return -1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct opts o = { .clock = FL_CLOCK_RECORDER };
	struct fl_reading cur, prev;
	struct fl_targets t = { 0 };
	char other[512] = "", exe[PATH_MAX];
	int pipefd[2] = { -1, -1 }, status = 0, ret, ncpu;
	struct flushlat *s = NULL;
	pid_t child = 0, attach_pid = -1;
	FILE *out = stdout;
	double t0, next;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret;
	libbpf_set_print(print_fn);
	if (o.output) {
		out = fopen(o.output, "we");
		if (!out) {
			fprintf(stderr, "flushlat: cannot open %s: %s\n", o.output, strerror(errno));
			return 1;
		}
	} else if (o.cmd) {
		out = stderr;
	}

	if (o.pid) {
		if (kill(o.pid, 0) && errno == ESRCH) {
			fprintf(stderr, "flushlat: no such process: %d\n", (int)o.pid);
			return 1;
		}
		if (fl_targets_from_pid(o.pid, &t, other, sizeof(other))) {
			fprintf(stderr, "flushlat: cannot read /proc/%d/maps: %s\n", (int)o.pid,
				strerror(errno));
			return 1;
		}
		if (!t.n && !o.nlibs) {
			fprintf(stderr, "flushlat: process %d has no flashstrike USDT probes%s%s\n",
				(int)o.pid, *other ? "; it has: " : " (no USDT probes at all)", other);
			return 1;
		}
		attach_pid = o.pid;
	} else if (o.binary || o.cmd) {
		const char *p = o.binary;

		if (o.cmd) {
			if (resolve_cmd(o.cmd[0], exe, sizeof(exe))) {
				fprintf(stderr, "flushlat: command not found: %s\n", o.cmd[0]);
				return 1;
			}
			p = exe;
		}
		ret = fl_has_probes(p, other, sizeof(other));
		if (ret < 0) {
			fprintf(stderr, "flushlat: cannot read %s: %s\n", p, strerror(-ret));
			return 1;
		}
		if (ret == 1)
			strcpy(t.path[t.n++], p);
		else if (!o.nlibs) {
			fprintf(stderr, "flushlat: %s has no flashstrike USDT probes (use --lib)\n", p);
			return 1;
		}
	}

	s = flushlat__open();
	if (!s) {
		fprintf(stderr, "flushlat: cannot open BPF object: %s\n", strerror(errno));
		return 1;
	}
	s->rodata->clock_mode = (__u32)o.clock;
	s->rodata->start_attached = !o.lean;
	if (flushlat__load(s)) {
		fprintf(stderr, "flushlat: cannot load BPF program: %s%s\n", strerror(errno),
			errno == EPERM ? " (needs CAP_BPF+CAP_PERFMON or CAP_SYS_ADMIN)" : "");
		goto fail;
	}
	ncpu = libbpf_num_possible_cpus();
	if (init_metastore(s, ncpu))
		goto fail;

	if (o.cmd) {
		if (pipe(pipefd))
			goto fail;
		child = fork();
		if (child < 0)
			goto fail;
		if (child == 0) {
			char c;

			close(pipefd[1]);
			if (read(pipefd[0], &c, 1) != 1)
				_exit(127);
			execv(exe, o.cmd);
			fprintf(stderr, "flushlat: exec %s: %s\n", exe, strerror(errno));
			_exit(127);
		}
		close(pipefd[0]);
		attach_pid = child;
	}
	for (int i = 0; i < t.n; i++)
		if (attach_one(s, &o, attach_pid, t.path[i]))
			goto fail;
	/* libraries: pid -1 - libbpf 1.1 resolves a library's address through
	 * /proc/PID/maps, which has no mapping before the child's exec */
	for (int i = 0; i < o.nlibs; i++)
		if (attach_one(s, &o, o.pid ? o.pid : -1, o.libs[i]))
			goto fail;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (child) {
		if (write(pipefd[1], "x", 1) != 1)
			goto fail;
		close(pipefd[1]);
	}
	fprintf(stderr, "flushlat: attached\n");
	memset(&prev, 0, sizeof(prev));
	fl_metastore_init(&prev.ms);
	t0 = now_s();
	next = t0 + o.interval;
	while (!stop) {
		usleep(50000);
		if (o.duration && now_s() - t0 >= o.duration)
			break;
		if (o.pid && kill(o.pid, 0) && errno == ESRCH)
			break;
		if (child && waitpid(child, &status, WNOHANG) == child) {
			child = -child;
			break;
		}
		if (o.interval && now_s() >= next) {
			struct fl_reading d;

			next += o.interval;
			if (read_reading(s, ncpu, &cur))
				goto fail;
			if (o.delta) {
				fl_reading_delta(&d, &cur, &prev);
				print_reading(out, &o, &d);
			} else {
				print_reading(out, &o, &cur);
			}
			prev = cur;
		}
	}
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, &status, 0);
		child = -child;
	}
	if (read_reading(s, ncpu, &cur))
		goto fail;
	if (o.delta) {
		struct fl_reading d;

		fl_reading_delta(&d, &cur, &prev);
		print_reading(out, &o, &d);
	} else {
		print_reading(out, &o, &cur);
	}
	destroy_links();
	flushlat__destroy(s);
	if (out != stdout && out != stderr)
		fclose(out);
	if (child < 0)
		return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	return 0;
fail:
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	destroy_links();
	flushlat__destroy(s);
	return 1;
}
