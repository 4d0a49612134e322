// SPDX-License-Identifier: MIT
/*
 * opts.c - flushlat's command line.  Every value is validated here, before
 * the BPF object is loaded or anything attached, so a typo never touches
 * the traced recorder.
 */
#include "opts.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "breakdown.h"
#include "flushlat.h"
#include "metrics.h"
#include "report.h"

enum {
	OPT_LIB = 256,
	OPT_CLOCK,
	OPT_LEAN,
	OPT_FORMAT,
	OPT_INTERVAL,
	OPT_DELTA,
	OPT_DURATION,
	OPT_OUTPUT,
	OPT_LABEL,
	OPT_PREFIX,
	OPT_COMPAT,
	OPT_LABEL_SET,
	OPT_LISTEN,
	OPT_FAIL_IF,
	OPT_BPF_STATS,
	OPT_WATCH,
	OPT_NO_HIST,
	OPT_BUCKETS,
	OPT_NATIVE_SCHEMA,
	OPT_WINDOW,
	OPT_BREAKDOWN,
	OPT_SYSCALLS,
	OPT_FOLDED,
	OPT_SLOW,
	OPT_SLOW_BUFFER,
	OPT_TOP,
	OPT_STUCK,
	OPT_LIST_VALUES,
};

/* Indexed by enum fl_clock. */
static const char *const clock_names[] = {
	[FL_CLOCK_RECORDER] = "recorder",
	[FL_CLOCK_KERNEL] = "kernel",
	NULL,
};

/* The metric names for --help, wrapped and indented like the option texts. */
static void metric_list(struct strbuf *out)
{
	const struct fl_metric *m;
	size_t col = 0;

	fl_for_each_metric(m) {
		size_t w = strlen(m->name) + 1;

		if (m->flags & FL_MF_BREAKDOWN)
			continue; /* listed as COMP.STAT below */
		if (!col || col + w > 56) {
			strbuf_puts(out, col ? "\n" : "");
			strbuf_puts(out, "                       ");
			col = 0;
		}
		strbuf_printf(out, " %s", m->name);
		col += w;
	}
	strbuf_puts(out, "\n                        COMP.STAT (--breakdown): COMP on_cpu runq io sleep,\n"
			 "                        STAT total p50 p90 p99 p99.9 max; e.g. 'io.p99>5ms'\n");
}

void fl_usage(FILE *f)
{
	struct strbuf names;

	strbuf_init(&names);
	metric_list(&names);
	fprintf(f,
"usage: flushlat (-p PID | -b PATH | -- CMD [ARGS...]) [options]\n"
"       flushlat report [options] FILE.json\n"
"       flushlat diff [--fail-if EXPR]... BASE.json NEW.json\n"
"       flushlat heatmap [-o FILE.svg] RUN.json\n"
"\n"
"Out-of-process flush-latency tracer for the FlashStrike WAL recorder: attaches\n"
"eBPF programs to the flashstrike:meta_flush_start/done/failed USDT probes and\n"
"reports the recorder's MetaStore (the same numbers and dump text), percentiles,\n"
"in-flight flushes and failed flushes by errno.  Manual: flushlat(8).\n"
"\n"
"Target (exactly one):\n"
"  -p, --pid PID         a running process: its executable and every mapped file\n"
"                        carrying the probes (resolved via /proc/PID/root)\n"
"  -b, --binary PATH     every process running PATH (a program or a library),\n"
"                        present and future, also after a deploy replaces PATH\n"
"  -- CMD [ARGS...]      start CMD with the probes attached before it runs; exit\n"
"                        with CMD's status; CMD keeps flushlat's credentials\n"
"      --lib PATH        also attach to the library PATH (repeatable)\n"
"\n"
"Measurement:\n"
"      --clock C         recorder (default): duration = end_ns - start_ns from the\n"
"                        probe arguments, equal to the in-process MetaStore;\n"
"                        kernel: bpf_ktime_get_ns at both probes\n"
"      --lean            attach meta_flush_done (and _failed) only: half the cost;\n"
"                        no in-flight view, no unmatched count; recorder clock\n"

"      --bpf-stats       enable the kernel's BPF run-time statistics while\n"
"                        running and report the tracer's own cost\n"
"  A per-process breakdown is kept with -b or --lib alone (several processes);\n"
"  with -p or -- CMD the kernel filters by PID and the MetaStore is that process.\n"
"\n"
"Flush anatomy (DURATION: a number with a unit ns us ms s, e.g. 5ms; or 0):\n"
"      --breakdown       why each flush took its time: on_cpu, runq, io and sleep\n"
"                        components and time by system call, for all flushes and\n"
"                        the slow tail; adds a sched_switch hook (a load and a\n"
"                        branch on every context switch of the machine while no\n"
"                        flush is open; see README for the measured cost)\n"
"      --syscalls        with --breakdown: time and count of every system call\n"
"                        exactly (sys_enter/sys_exit hooks); COSTS ~150 ns on EVERY\n"
"                        system call of EVERY task while attached.  Without it the\n"
"                        system-call view is the off-CPU time of the call in\n"
"                        progress at each blocking switch-out (no syscall hooks)\n"
"      --slow DURATION   one record per flush at or over DURATION as it completes\n"
"                        (time, pid, tid, comm, duration; with --breakdown its\n"
"                        components, system calls and the kernel stack where it\n"
"                        was blocked longest); the tail of the breakdown\n"
"      --slow-buffer KB  ring buffer for --slow records (default 4096, a power of\n"
"                        two >= 4); a record that does not fit is counted\n"
"      --folded FILE     with --breakdown: at the end, blocked time by kernel stack\n"
"                        (all flushes; with --slow also the slow ones) as folded\n"
"                        stacks for flamegraph.pl (a stack walk per blocking\n"
"                        switch-out: ~2 us each)\n"
"      --top N           the N slowest flushes of the run (exact, N <= 100)\n"
"      --stuck DURATION  report every flush in flight for DURATION or longer while\n"
"                        it is still in flight: pid, tid, age, thread state and\n"
"                        kernel stack; again every DURATION while it stays stuck\n"
"\n"
"Output:\n"
"      --format F        text (default), prometheus or json (one object per line)\n"
"      --interval SECS   a snapshot every SECS seconds (cumulative)\n"
"      --delta           with --interval: per-interval snapshots\n"
"      --watch           live view on the terminal, redrawn every --interval\n"
"                        (default 1 s): the last interval's rate, p50, p99 and\n"
"                        max, in-flight flushes, a p99 sparkline, heat strips\n"
"      --no-hist         no histogram in the text report\n"
"      --duration SECS   stop after SECS seconds\n"
"      --output FILE     write snapshots to FILE (default stdout; stderr with CMD)\n"
"      --label TEXT      dump label (default \"Meta Store\")\n"
"      --prefix P        metric prefix (default \"flushlat\")\n"
"      --compat          Prometheus output with the recorder's own metric names\n"
"                        (ie_wal_recorder__meta_store_..., system=\"wal_recorder\")\n"
"      --label-set K=V   add a label to every Prometheus series (repeatable)\n"
"      --listen ADDR:PORT  serve GET /metrics (\":PORT\" = 127.0.0.1:PORT): text\n"
"                        0.0.4, OpenMetrics with exemplars, or protobuf with a\n"
"                        native histogram, as the scraper's Accept header asks\n"
"      --buckets MIN..MAX/N  the classic histogram's le bounds: N per power of two\n"
"                        of ns (1 2 4 8 16) from MIN to MAX, rounded to powers of\n"
"                        two; default " FL_BUCKETS_DEFAULT " (97 bounds, 2.048us..34.4s)\n"
"      --native-schema S  with --listen: the native histogram's schema, -4..8\n"
"                        (default 3: buckets 9%% wide), or none (no protobuf)\n"
"      --window SECS     with --listen: the window of the window_min/max gauges\n"
"                        (default 60)\n"
"      --fail-if EXPR    exit 3 if EXPR holds on the final snapshot (repeatable):\n"
"                        METRIC OP VALUE[UNIT]; OP < <= > >= == !=; UNIT ns us ms\n"
"                        s (durations only; none = ns), e.g. 'p99>5ms'; METRIC:\n"
"%s"
"  -v, --verbose         libbpf debug output\n"
"  -h, --help            this help\n"
"  -V, --version         version\n"
"      --list-values OPT the words OPT takes (format, report-format, clock,\n"
"                        native-schema, fail-if or list-values), one a line: for\n"
"                        completion\n"
"\n"
"Exit status: 0 ok; 1 runtime error (attach, privileges, target, output);\n"
"2 usage error; 3 a --fail-if condition held; with -- CMD, CMD's status when it\n"
"is not 0 (128+N if it was killed by signal N, unless flushlat sent N).\n"
"SIGINT, SIGTERM, SIGHUP: forwarded to CMD (which is waited for), then the\n"
"final snapshot.\n",
		strbuf_str(&names));
	strbuf_free(&names);
}

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized): va_start above; clang-tidy 14 false positive */
	va_end(ap);
	return -1;
}

int fl_parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0 || v > 31536000.0)
		return -1;
	*out = v;
	return 0;
}

static int parse_pid(const char *s, pid_t *pid)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > 4194304)
		return -1;
	*pid = (pid_t)v;
	return 0;
}

/* --native-schema: an integer of the native range, or "none". */
static int parse_schema(const char *s, int *out)
{
	char *end;
	long v;

	if (!strcmp(s, "none")) {
		*out = FL_NATIVE_NONE;
		return 0;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < FL_NATIVE_SCHEMA_MIN || v > FL_NATIVE_SCHEMA_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

/* The anatomy options' rules. */
static int check_anatomy(struct fl_opts *o, char *err, size_t len)
{
	if (o->syscalls && !o->breakdown)
		return fail(err, len, "--syscalls needs --breakdown");
	if (o->folded && !o->breakdown)
		return fail(err, len, "--folded needs --breakdown (it collects the blocked stacks)");
	if (o->slow_buffer_kb && !o->slow)
		return fail(err, len, "--slow-buffer needs --slow");
	if (o->lean && o->breakdown)
		return fail(err, len, "--breakdown needs the start probe: not with --lean");
	if (o->lean && o->stuck_ns)
		return fail(err, len, "--stuck needs the start probe: not with --lean");
	if (!o->slow_buffer_kb)
		o->slow_buffer_kb = FL_SLOW_BUFFER_KB;
	for (int i = 0; i < o->nfail_if; i++) {
		unsigned int f = o->fail_if[i].metric->flags;

		if (((f & FL_MF_BREAKDOWN) && !o->breakdown) || ((f & FL_MF_SLOW) && !o->slow) ||
		    ((f & FL_MF_STUCK) && !o->stuck_ns))
			return fail(err, len, "--fail-if %s: %s", o->fail_if[i].text,
				    fl_metric_needs(o->fail_if[i].metric));
	}
	return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || end == s || *end || *s == '-' || *v > max ? -1 : 0;
}

/* --slow-buffer: KiB, a power of two from one page up (the ring buffer's rule). */
static int parse_ring_kb(const char *s, unsigned int *kb)
{
	unsigned long v;

	if (parse_uint(s, 1UL << 20, &v) || v < 4 || (v & (v - 1)))
		return -1;
	*kb = (unsigned int)v;
	return 0;
}

/* Cross-option rules, checked once everything is read. */
static int check(struct fl_opts *o, char *err, size_t len)
{
	int targets = !!o->pid + !!o->binary + !!o->cmd;

	if (o->help || o->version || o->list_values)
		return 0;
	if (targets == 0 && o->nlibs)
		targets = 1; /* --lib alone: every process mapping those libraries */
	if (targets != 1)
		return fail(err, len, "give exactly one target: -p PID, -b PATH or -- CMD");
	if (o->lean && o->clock == FL_CLOCK_KERNEL)
		return fail(err, len, "--lean needs --clock recorder (the kernel clock needs both probes)");
	if (o->watch) {
		if (o->format != FL_FMT_TEXT)
			return fail(err, len, "--watch is a text view (no --format prometheus or json)");
		if (o->output)
			return fail(err, len, "--watch draws on the terminal (no --output)");
		if (o->delta)
			return fail(err, len, "--watch shows each interval already (no --delta)");
		if (o->interval == 0)
			o->interval = FL_WATCH_INTERVAL;
	}
	if (o->delta && o->interval == 0)
		return fail(err, len, "--delta needs --interval");
	if (o->listen_set && !o->listen)
		return fail(err, len, "--native-schema and --window need --listen");
	if (o->lean) {
		for (int i = 0; i < o->nfail_if; i++)
			if (o->fail_if[i].metric->flags & FL_MF_START)
				return fail(err, len, "--fail-if %s: unknown with --lean",
					    o->fail_if[i].text);
	}
	return check_anatomy(o, err, len);
}

int fl_opts_parse(int argc, char **argv, struct fl_opts *o, char *err, size_t len)
{
	static const struct option lo[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "binary", required_argument, NULL, 'b' },
		{ "lib", required_argument, NULL, OPT_LIB },
		{ "clock", required_argument, NULL, OPT_CLOCK },
		{ "lean", no_argument, NULL, OPT_LEAN },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "delta", no_argument, NULL, OPT_DELTA },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "label", required_argument, NULL, OPT_LABEL },
		{ "prefix", required_argument, NULL, OPT_PREFIX },
		{ "compat", no_argument, NULL, OPT_COMPAT },
		{ "label-set", required_argument, NULL, OPT_LABEL_SET },
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "fail-if", required_argument, NULL, OPT_FAIL_IF },
		{ "bpf-stats", no_argument, NULL, OPT_BPF_STATS },
		{ "watch", no_argument, NULL, OPT_WATCH },
		{ "no-hist", no_argument, NULL, OPT_NO_HIST },
		{ "buckets", required_argument, NULL, OPT_BUCKETS },
		{ "native-schema", required_argument, NULL, OPT_NATIVE_SCHEMA },
		{ "window", required_argument, NULL, OPT_WINDOW },
		{ "breakdown", no_argument, NULL, OPT_BREAKDOWN },
		{ "syscalls", no_argument, NULL, OPT_SYSCALLS },
		{ "folded", required_argument, NULL, OPT_FOLDED },
		{ "slow", required_argument, NULL, OPT_SLOW },
		{ "slow-buffer", required_argument, NULL, OPT_SLOW_BUFFER },
		{ "top", required_argument, NULL, OPT_TOP },
		{ "stuck", required_argument, NULL, OPT_STUCK },
		{ "list-values", required_argument, NULL, OPT_LIST_VALUES },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	char msg[256];
	int c;

	memset(o, 0, sizeof(*o));
	o->clock = FL_CLOCK_RECORDER;
	o->format = FL_FMT_TEXT;
	o->native_schema = FL_NATIVE_SCHEMA_DEFAULT;
	o->window = FL_WINDOW_DEFAULT;
	fl_render_opts_default(&o->render);
	opterr = 0;
	optind = 0; /* glibc: 0 also resets getopt's internal state */
	while ((c = getopt_long(argc, argv, "+:p:b:vhV", lo, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (o->pid)
				return fail(err, len, "-p given twice (one process per run)");
			if (parse_pid(optarg, &o->pid))
				return fail(err, len, "bad --pid '%s' (want a process id)", optarg);
			break;
		case 'b':
			if (o->binary)
				return fail(err, len, "-b given twice (one PATH per run; add libraries with --lib)");
			if (!*optarg)
				return fail(err, len, "empty --binary");
			o->binary = optarg;
			break;
		case OPT_LIB:
			if (o->nlibs == FL_MAX_LIBS)
				return fail(err, len, "too many --lib (max %d)", FL_MAX_LIBS);
			if (!*optarg)
				return fail(err, len, "empty --lib");
			o->libs[o->nlibs++] = optarg;
			break;
		case OPT_CLOCK:
			o->clock = -1;
			for (int i = 0; clock_names[i]; i++)
				if (!strcmp(optarg, clock_names[i]))
					o->clock = i;
			if (o->clock < 0)
				return fail(err, len, "bad --clock '%s' (recorder or kernel)", optarg);
			break;
		case OPT_LEAN:
			o->lean = 1;
			break;
		case OPT_FORMAT:
			if (fl_format_parse(optarg, &o->format))
				return fail(err, len, "bad --format '%s' (text, prometheus or json)", optarg);
			break;
		case OPT_INTERVAL:
			if (fl_parse_seconds(optarg, &o->interval) || o->interval < 0.01)
				return fail(err, len, "bad --interval '%s' (seconds, >= 0.01)", optarg);
			break;
		case OPT_DELTA:
			o->delta = 1;
			break;
		case OPT_DURATION:
			if (fl_parse_seconds(optarg, &o->duration) || o->duration <= 0)
				return fail(err, len, "bad --duration '%s' (seconds, > 0)", optarg);
			break;
		case OPT_OUTPUT:
			if (!*optarg)
				return fail(err, len, "empty --output");
			o->output = optarg;
			break;
		case OPT_LABEL:
			if (fl_label_check(optarg, msg, sizeof(msg)))
				return fail(err, len, "bad --label '%s': %s", optarg, msg);
			o->render.label = optarg;
			break;
		case OPT_PREFIX:
			if (fl_prom_prefix_check(optarg, msg, sizeof(msg)))
				return fail(err, len, "bad --prefix %s", msg);
			o->render.prefix = optarg;
			break;
		case OPT_COMPAT:
			o->render.compat = 1;
			break;
		case OPT_LABEL_SET:
			/* the same rules as `flushlat report --label-set` (render_prom.c) */
			if (fl_label_set_parse(optarg, &o->render, msg, sizeof(msg)))
				return fail(err, len, "bad --label-set %s", msg);
			break;
		case OPT_LISTEN:
			if (fl_listen_parse(optarg, &o->listen_addr, msg, sizeof(msg)))
				return fail(err, len, "bad --listen '%s': %s", optarg, msg);
			o->listen = optarg;
			break;
		case OPT_FAIL_IF:
			if (o->nfail_if == FL_MAX_FAIL_IF)
				return fail(err, len, "too many --fail-if (max %d)", FL_MAX_FAIL_IF);
			if (fl_threshold_parse(optarg, &o->fail_if[o->nfail_if], msg, sizeof(msg)))
				return fail(err, len, "bad --fail-if %s", msg);
			if (o->fail_if[o->nfail_if].relative)
				return fail(err, len, "bad --fail-if '%s': relative (%%) thresholds are for 'flushlat diff'",
					    optarg);
			o->nfail_if++;
			break;
		case OPT_BPF_STATS:
			o->bpf_stats = 1;
			break;
		case OPT_WATCH:
			o->watch = 1;
			break;
		case OPT_NO_HIST:
			o->render.hist = 0;
			break;
		case OPT_BUCKETS:
			if (fl_buckets_parse(optarg, &o->render.buckets, msg, sizeof(msg)))
				return fail(err, len, "bad --buckets %s", msg);
			break;
		case OPT_NATIVE_SCHEMA:
			if (parse_schema(optarg, &o->native_schema))
				return fail(err, len, "bad --native-schema '%s' (%d..%d or none)", optarg,
					    FL_NATIVE_SCHEMA_MIN, FL_NATIVE_SCHEMA_MAX);
			o->listen_set = 1;
			break;
		case OPT_WINDOW:
			if (fl_parse_seconds(optarg, &o->window) || o->window < 1)
				return fail(err, len, "bad --window '%s' (seconds, >= 1)", optarg);
			o->listen_set = 1;
			break;
		case OPT_BREAKDOWN:
			o->breakdown = 1;
			break;
		case OPT_SYSCALLS:
			o->syscalls = 1;
			break;
		case OPT_FOLDED:
			if (!*optarg)
				return fail(err, len, "empty --folded");
			o->folded = optarg;
			break;
		case OPT_SLOW:
			if (fl_duration_parse(optarg, &o->slow_ns))
				return fail(err, len, "bad --slow '%s' (a duration with a unit: ns, us, ms or s, e.g. 5ms; or 0)",
					    optarg);
			o->slow = 1;
			break;
		case OPT_SLOW_BUFFER:
			if (parse_ring_kb(optarg, &o->slow_buffer_kb))
				return fail(err, len, "bad --slow-buffer '%s' (KiB: a power of two, 4 to 1048576)",
					    optarg);
			break;
		case OPT_TOP: {
			unsigned long n;

			if (parse_uint(optarg, FL_TOP_LIMIT, &n) || !n)
				return fail(err, len, "bad --top '%s' (1 to %d)", optarg, FL_TOP_LIMIT);
			o->top = (int)n;
			break;
		}
		case OPT_STUCK:
			if (fl_duration_parse(optarg, &o->stuck_ns) || o->stuck_ns < 1000000)
				return fail(err, len, "bad --stuck '%s' (a duration of at least 1ms, e.g. 2s)",
					    optarg);
			break;
		case OPT_LIST_VALUES:
			if (fl_list_values(optarg, NULL))
				return fail(err, len, "bad --list-values '%s' (format, report-format, "
						      "clock, native-schema, fail-if or list-values)",
					    optarg);
			o->list_values = optarg;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			o->help = 1;
			break;
		case 'V':
			o->version = 1;
			break;
		case ':':
			return fail(err, len, "option '%s' needs a value", argv[optind - 1]);
		default:
			return fail(err, len, "unknown option '%s' (see --help)", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		/* getopt's "+" stops at the first non-option; require the "--". */
		if (strcmp(argv[optind - 1], "--") != 0)
			return fail(err, len, "unexpected argument '%s' (a command goes after --)",
				    argv[optind]);
		o->cmd = argv + optind;
	}
	return check(o, err, len);
}

/*
 * The words an option takes, from the tables and ranges the parsers use
 * (formats, clocks, native schemas, the metric table), so the shell
 * completion cannot drift from them.  With f NULL only checks what.  0, or -1 for an unknown what.
 */
int fl_list_values(const char *what, FILE *f)
{
	const char *const *names = NULL;
	const struct fl_metric *m;

	/* SUB-OPT: where a subcommand's option takes other words than the run's */
	static const char *const kinds[] = { "format", "report-format", "clock", "native-schema",
					     "fail-if", "list-values", NULL };

	if (!strcmp(what, "format") || !strcmp(what, "report-format"))
		names = fl_format_names;
	else if (!strcmp(what, "clock"))
		names = clock_names;
	else if (!strcmp(what, "list-values"))
		names = kinds; /* itself: what it can list */
	else if (strcmp(what, "fail-if") != 0 && strcmp(what, "native-schema") != 0)
		return -1;
	if (!f)
		return 0;
	if (!strcmp(what, "native-schema")) { /* what parse_schema() accepts */
		for (int s = FL_NATIVE_SCHEMA_MIN; s <= FL_NATIVE_SCHEMA_MAX; s++)
			fprintf(f, "%d\n", s);
		fprintf(f, "none\n");
		return 0;
	}
	if (names) {
		for (; *names; names++)
			fprintf(f, "%s\n", *names);
		if (!strcmp(what, "report-format"))
			fprintf(f, "%s\n", fl_report_html_format);
	} else {
		fl_for_each_metric(m)
			fprintf(f, "%s\n", m->name);
	}
	return 0;
}
