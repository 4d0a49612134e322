// SPDX-License-Identifier: MIT
/*
 * attach.c - find the files that carry the flashstrike probes, load the BPF
 * program and attach it.  Every probe is a perf-event link: the kernel takes
 * it away if flushlat dies, and raises/lowers the probe semaphores itself, so
 * nothing here writes into the traced process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "anatomy.h"
#include "flushlat.h"
#include "flushlat.skel.h"
#include "metrics.h"
#include "msg.h"
#include "proc.h"
#include "session.h"

/* quiet: the caller has a fallback and reports itself. */
static int attach_probe(struct fl_session *t, struct fl_target *x, struct bpf_program *prog,
			pid_t pid, const char *probe, int quiet)
{
	struct bpf_link *l;
	char path[64];
	int err;

	fl_target_fd_path(x, path, sizeof(path)); /* exactly the inode that was checked */
	l = bpf_program__attach_usdt(prog, pid, path, "flashstrike", probe, NULL);
	err = -errno;
	if (!l) {
		if (quiet)
			return -1;
		if (pid > 0 && fl_proc_exited(pid))
			fprintf(stderr, "flushlat: process %d exited during attach\n", (int)pid);
		else
			fl_err("cannot attach flashstrike:%s in %s: %s%s (-v: libbpf's log)",
				probe, x->path, strerror(-err),
				err == -EPERM || err == -EACCES ? " (needs CAP_SYS_ADMIN)" :
				err == -ENOENT || err == -EOPNOTSUPP ?
					" (kernel without uprobe support?)" : "");
		return -1;
	}
	x->links[x->nlinks++] = l;
	t->nlinks++;
	return 0;
}

void fl_detach_target(struct fl_session *t, struct fl_target *x)
{
	while (x->nlinks) {
		bpf_link__destroy(x->links[--x->nlinks]);
		t->nlinks--;
	}
}

/*
 * A file without meta_flush_failed (a recorder built before it, or deployed
 * over one that had it) can fail flushes unseen: from then on failures are
 * unknown in every output, said once.
 */
static void failed_unknown(struct fl_session *t, const struct fl_target *x)
{
	if (!t->failed_known)
		return;
	t->failed_known = 0;
	if (t->reader_open)
		fl_reader_failed_unknown(&t->reader);
	fl_err("warning: %s has no flashstrike:meta_flush_failed probe: failed flushes are "
	       "unknown from now on", x->path);
}

/*
 * meta_flush_failed is only hit when a flush fails, so it is attached with
 * --lean too; where a file lacks it (or no file had it when the programs were
 * loaded) failed flushes are unknown.
 */
static int attach_failed(struct fl_session *t, struct fl_target *x, pid_t pid, int quiet)
{
	if (fl_fd_has_probe(x->fd, "meta_flush_failed") != 1 ||
	    bpf_program__fd(t->skel->progs.meta_flush_failed) < 0) {
		failed_unknown(t, x);
		return 0;
	}
	return attach_probe(t, x, t->skel->progs.meta_flush_failed, pid, "meta_flush_failed", quiet);
}

int fl_attach_target(struct fl_session *t, struct fl_target *x, pid_t pid, int quiet)
{
	if ((!t->o.lean &&
	     attach_probe(t, x, t->skel->progs.meta_flush_start, pid, "meta_flush_start", quiet)) ||
	    attach_probe(t, x, t->skel->progs.meta_flush_done, pid, "meta_flush_done", quiet) ||
	    attach_failed(t, x, pid, quiet)) {
		fl_detach_target(t, x);
		return -1;
	}
	return 0;
}

/*
 * Failed flushes are known only when every file has the probe: a file
 * without it could fail flushes unseen.  A --fail-if on them is then refused
 * before anything is attached, never judged on a false 0.
 */
static int failed_probe_check(struct fl_session *t)
{
	const char *missing = NULL;
	int any = 0;

	for (int i = 0; i < t->targets.n; i++) {
		if (fl_fd_has_probe(t->targets.t[i].fd, "meta_flush_failed") == 1)
			any = 1;
		else if (!missing)
			missing = t->targets.t[i].path;
	}
	t->failed_known = !missing;
	/* no program in the kernel for a probe no file has */
	bpf_program__set_autoload(t->skel->progs.meta_flush_failed, any);
	for (int i = 0; missing && i < t->o.nfail_if; i++) {
		if (t->o.fail_if[i].metric->flags & FL_MF_FAILED) {
			fl_err("--fail-if %s: %s has no flashstrike:meta_flush_failed probe (failed "
			       "flushes are unknown)", t->o.fail_if[i].text, missing);
			return -1;
		}
	}
	return 0;
}

/*
 * Every file is attached with the target's PID, so the kernel filters: with
 * -- CMD that is the child, waiting before exec.  A library of CMD is not
 * mapped yet; libbpf needs its mapping only on kernels without BPF cookies
 * (< 5.15), where this falls back to tracing every process that maps the
 * library, and says so.
 */
int fl_attach_all(struct fl_session *t)
{
	pid_t pid = t->o.pid ? t->o.pid : t->child.pid ? t->child.pid : -1;

	if (fl_anat_attach(t)) /* the scheduler hooks first: no span opens without them */
		return -1;
	for (int i = 0; i < t->targets.n; i++) {
		struct fl_target *x = &t->targets.t[i];
		int has_fallback = t->child.pid && !(i == 0 && t->exe_probes); /* a library */

		if (!fl_attach_target(t, x, pid, has_fallback))
			continue;
		if (!has_fallback)
			return -1;
		fl_err("warning: %s: attaching for every process that maps it "
		       "(this kernel cannot filter a library not yet loaded by PID)", x->path);
		if (fl_attach_target(t, x, -1, 0))
			return -1;
	}
	return 0;
}

void fl_detach_all(struct fl_session *t)
{
	for (int i = 0; i < t->targets.n; i++)
		fl_detach_target(t, &t->targets.t[i]);
	fl_anat_detach(t->anat); /* after the probes: no span opens any more */
}

/*
 * Lets the BPF programs read the probe arguments straight from their
 * registers (no helper call) when every attached file passes them the same
 * way; otherwise they keep libbpf's generic reader.  ~60 ns per argument here.
 */
static void set_arg_regs(struct fl_session *t)
{
	int s[FL_MAX_ARGS], d[FL_MAX_ARGS], s0 = FL_REG_NONE, d0 = FL_REG_NONE, d1 = FL_REG_NONE;

	for (int i = 0; i < t->targets.n; i++) {
		int fd = t->targets.t[i].fd;

		if (fl_probe_arg_regs(fd, "meta_flush_start", s, FL_MAX_ARGS) != 1 ||
		    fl_probe_arg_regs(fd, "meta_flush_done", d, FL_MAX_ARGS) != 2 ||
		    (i && (s[0] != s0 || d[0] != d0 || d[1] != d1)))
			return;
		s0 = s[0];
		d0 = d[0];
		d1 = d[1];
	}
	t->skel->rodata->start_arg0 = s0;
	t->skel->rodata->done_arg0 = d0;
	t->skel->rodata->done_arg1 = d1;
}

int fl_load_bpf(struct fl_session *t)
{
	struct fl_reader_cfg cfg = {
		.lean = t->o.lean,
		.target_pid = t->o.pid ? t->o.pid : -1,
		/* per-interval views (--delta, --watch) and /metrics need epochs; the default does not pay */
		.epochs = {
			.on = t->o.delta || t->o.watch || t->o.listen,
			.native_schema = t->o.listen && !t->o.render.compat ? t->o.native_schema
									 : FL_NATIVE_NONE,
			.exemplars = t->o.listen && !t->o.render.compat,
			.window_s = t->o.window,
		},
	};
	struct bpf_object_open_opts open_opts = { .sz = sizeof(open_opts) };
	char msg[256], btf[64];
	int err, btf_fd;

	if (fl_anat_check_btf(t))
		return -1;
	btf_fd = fl_anat_btf_fallback(btf, sizeof(btf));
	open_opts.btf_custom_path = btf_fd >= 0 ? btf : NULL;
	t->skel = flushlat__open_opts(&open_opts);
	if (!t->skel) {
		fprintf(stderr, "flushlat: cannot open the BPF object: %s\n", strerror(errno));
		if (btf_fd >= 0)
			close(btf_fd);
		return -1;
	}
	if (failed_probe_check(t))
		return -1;
	cfg.failed_known = t->failed_known;
	t->skel->rodata->clock_mode = (__u32)t->o.clock;
	t->skel->rodata->start_attached = !t->o.lean;
	set_arg_regs(t);
	/*
	 * One process (-p, -- CMD: the kernel filters by its PID): the MetaStore
	 * is already its breakdown, so skip the per-process map.
	 */
	cfg.track_procs = !(t->o.pid || t->o.cmd);
	t->skel->rodata->track_procs = cfg.track_procs;
	if (fl_epochs_configure(t->skel, &cfg.epochs, msg, sizeof(msg))) {
		fprintf(stderr, "flushlat: %s\n", msg);
		if (btf_fd >= 0)
			close(btf_fd);
		return -1;
	}
	fl_anat_configure(t);
	err = flushlat__load(t->skel) ? errno : 0;
	if (btf_fd >= 0)
		close(btf_fd);
	if (err) {
		fprintf(stderr, "flushlat: cannot load the BPF program%s: %s%s (-v: libbpf's log)\n",
			t->o.breakdown || t->o.stuck_ns ?
				" (--breakdown/--stuck need tp_btf/sched_switch, sys_enter/exit and "
				"iter/task programs)" : "",
			strerror(err),
			err == EPERM ? " (needs CAP_BPF+CAP_PERFMON or CAP_SYS_ADMIN)" :
			err == ENOSYS ? " (kernel without BPF)" : "");
		return -1;
	}
	if (fl_anat_open(t))
		return -1;
	cfg.anat = t->anat;
	if (t->o.bpf_stats) {
		t->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (t->stats_fd < 0)
			fprintf(stderr, "flushlat: warning: cannot enable BPF run-time statistics: %s\n",
				strerror(errno));
		cfg.stats_on = t->stats_fd >= 0;
	}
	err = fl_reader_open(&t->reader, t->skel, &cfg, msg, sizeof(msg));
	t->reader_open = 1;
	if (err) {
		fprintf(stderr, "flushlat: %s\n", msg);
		return -1;
	}
	return 0;
}
