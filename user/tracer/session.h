/* SPDX-License-Identifier: MIT */
/*
 * session.h - one tracing session: what the set-up and teardown (main.c),
 * the choice of files (targets.c), the attach step (attach.c) and the run
 * loop (loop.c) share.
 */
#ifndef FLUSHLAT_SESSION_H
#define FLUSHLAT_SESSION_H

#include <limits.h>
#include <stdio.h>
#include <sys/types.h>

#include "child.h"
#include "opts.h"
#include "probes.h"
#include "reader.h"
#include "watch.h"

struct fl_anat;
struct fl_http;
struct fl_live_ui;
struct flushlat;

struct fl_session {
	struct fl_opts o;
	struct flushlat *skel;
	struct fl_reader reader;
	int reader_open;
	int consumer;    /* the main loop's reader id (intervals, final report) */
	int http_consumer;
	struct fl_targets targets; /* --lib files are targets too */
	int exe_probes;  /* -- CMD: its executable carries the probes (targets.t[0]) */
	int nlinks;      /* probes attached, over every target */
	struct fl_http *http;
	int http_fd;     /* --listen socket, bound before attaching */
	int stats_fd;    /* --bpf-stats: holds the kernel's statistics on */
	FILE *out;
	struct fl_child child; /* -- CMD */
	int pidfd;       /* -p: readable once the target exits (zombie included) */
	struct fl_watch watch; /* -b, --lib: their paths followed across deploys */
	char exe[PATH_MAX]; /* -b PATH or the resolved CMD */
	struct fl_live_ui *live; /* --watch: the live view, while it is up */
	struct fl_anat *anat;  /* --breakdown, --slow, --top, --stuck (anatomy.h), else NULL */
	int failed_known;  /* every file has meta_flush_failed (attach.c) */
};

/* targets.c: the files carrying the probes (-p, -b, -- CMD, --lib); one message on failure. */
int fl_find_targets(struct fl_session *t);
/* attach.c */
/* Opens and loads the BPF object and sets up the map reader. */
int fl_load_bpf(struct fl_session *t);
/*
 * Attaches start and done (done only with --lean), and meta_flush_failed where
 * the file has it, in every file; filtered by PID when there is one.
 */
int fl_attach_all(struct fl_session *t);
void fl_detach_all(struct fl_session *t);
/* Attaches one file's probes (pid -1: every process); quiet: no message.  0 or -1. */
int fl_attach_target(struct fl_session *t, struct fl_target *x, pid_t pid, int quiet);
void fl_detach_target(struct fl_session *t, struct fl_target *x);

#endif /* FLUSHLAT_SESSION_H */
