/* SPDX-License-Identifier: MIT */
/* opts.h - flushlat's command line: parsed and validated before anything attaches. */
#ifndef FLUSHLAT_OPTS_H
#define FLUSHLAT_OPTS_H

#include <stdio.h>
#include <sys/types.h>

#include "epoch.h"
#include "http.h"
#include "render.h"
#include "threshold.h"

#define FL_MAX_LIBS 16
#define FL_MAX_FAIL_IF 32 /* --fail-if expressions, for a run, report and diff */
#define FL_WATCH_INTERVAL 1.0 /* --watch without --interval: seconds between frames */
#define FL_NATIVE_SCHEMA_DEFAULT 3 /* bucket growth 2^(1/8): 9% wide, the usual default */
#define FL_WINDOW_DEFAULT 60.0     /* seconds */
#define FL_SLOW_BUFFER_KB 4096 /* --slow-buffer default: 4 MiB of records */

struct fl_opts {
	pid_t pid;                 /* -p */
	const char *binary;        /* -b */
	const char *libs[FL_MAX_LIBS];
	int nlibs;                 /* --lib */
	int clock;                 /* enum fl_clock */
	int lean;
	enum fl_format format;
	double interval;           /* seconds, 0 = final snapshot only */
	int delta;
	double duration;           /* seconds, 0 = until the target exits or a signal */
	const char *output;
	const char *listen;        /* --listen ADDR:PORT, as given */
	struct fl_listen listen_addr; /* ... parsed once */
	int bpf_stats;             /* --bpf-stats: kernel program statistics while running */
	int watch;                 /* --watch: the live view on the terminal */
	int native_schema;         /* --native-schema, FL_NATIVE_NONE for none */
	double window;             /* --window seconds (/metrics window gauges) */
	int listen_set;            /* an option that needs --listen was given */
	/* the flush anatomy */
	int breakdown;             /* --breakdown */
	int syscalls;              /* --syscalls: exact per-call times (sys_enter/exit hooks) */
	const char *folded;        /* --folded FILE */
	int slow;                  /* --slow DURATION given */
	uint64_t slow_ns;
	unsigned int slow_buffer_kb; /* --slow-buffer KB: the records' ring buffer */
	int top;                   /* --top N, 0 = off */
	uint64_t stuck_ns;         /* --stuck DURATION, 0 = off */
	int verbose;
	struct fl_render_opts render;
	struct fl_threshold fail_if[FL_MAX_FAIL_IF];
	int nfail_if;
	char **cmd;                /* -- CMD ARGS... */
	int help;                  /* --help / --version were asked for */
	int version;
	const char *list_values;   /* --list-values OPT */
};

/* Returns 0, or -1 (a usage error) with one line in err. */
int fl_opts_parse(int argc, char **argv, struct fl_opts *o, char *err, size_t errlen);
void fl_usage(FILE *f);
/* --list-values: the words OPT takes, one a line (f NULL: only check OPT). 0 or -1. */
int fl_list_values(const char *what, FILE *f);
/* Non-negative decimal seconds ("0.5", "10"); -1 on garbage. */
int fl_parse_seconds(const char *s, double *out);

#endif /* FLUSHLAT_OPTS_H */
