/* SPDX-License-Identifier: MIT */
/*
 * tracer.h - one tracing session: what flushlat.c (the main loop) and
 * attach.c (finding the probes, loading and attaching the BPF program) share.
 */
#ifndef FLUSHLAT_TRACER_H
#define FLUSHLAT_TRACER_H

#include <limits.h>
#include <stdio.h>
#include <sys/types.h>

#include "flushlat.skel.h"
#include "opts.h"
#include "reader.h"
#include "target.h"

struct fl_http;

struct tracer {
	struct fl_opts o;
	struct flushlat *skel;
	struct fl_reader reader;
	struct fl_targets targets;
	struct bpf_link *links[2 * FL_MAX_TARGETS]; /* --lib files are targets too */
	int nlinks;
	struct fl_http *http;
	int http_fd;     /* --listen socket, bound before attaching */
	int stats_fd;
	FILE *out;
	pid_t child;     /* -- CMD: running child, 0 if none */
	int child_status;
	int child_done;
	int go_pipe;     /* write end: releases the child into exec */
	int pidfd;       /* -p: readable once the target exits (zombie included) */
	char exe[PATH_MAX];
};

/* Resolves the files carrying the probes (-p, -b, -- CMD, --lib); one message on failure. */
int fl_find_targets(struct tracer *t);
/* Opens and loads the BPF object and sets up the map reader. */
int fl_load_bpf(struct tracer *t);
/* Attaches both probes (done only with --lean) in every file; filtered by PID when there is one. */
int fl_attach_all(struct tracer *t);
void fl_detach_all(struct tracer *t);

#endif /* FLUSHLAT_TRACER_H */
