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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "flushlat.h"
#include "tracer.h"

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
		if (fl_pid_gone(o->pid)) {
			fprintf(stderr, "flushlat: no such process: %d\n", (int)o->pid);
			return -1;
		}
		/* A pidfd sees the exit even while the target is an unreaped zombie. */
		t->pidfd = (int)syscall(SYS_pidfd_open, o->pid, 0);
		if (fl_targets_from_pid(o->pid, &t->targets, other, sizeof(other))) {
			fprintf(stderr, "flushlat: cannot read /proc/%d/maps: %s\n", (int)o->pid,
				fl_pid_gone(o->pid) ? "the process exited" : strerror(errno));
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

int fl_find_targets(struct tracer *t)
{
	return find_files(t) || add_libs(t) ? -1 : 0;
}

/* quiet: the caller has a fallback and reports itself. */
static int attach_probe(struct tracer *t, struct bpf_program *prog, pid_t pid, const char *path,
			const char *probe, int quiet)
{
	struct bpf_link *l = bpf_program__attach_usdt(prog, pid, path, "flashstrike", probe, NULL);
	int err = -errno;

	if (!l) {
		if (quiet)
			return -1;
		if (pid > 0 && fl_pid_gone(pid))
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

static int attach_file(struct tracer *t, pid_t pid, const char *path, int quiet)
{
	if (!t->o.lean &&
	    attach_probe(t, t->skel->progs.meta_flush_start, pid, path, "meta_flush_start", quiet))
		return -1;
	return attach_probe(t, t->skel->progs.meta_flush_done, pid, path, "meta_flush_done", quiet);
}

/*
 * Every file is attached with the target's PID, so the kernel filters: with
 * -- CMD that is the child, waiting before exec.  A library of CMD is not
 * mapped yet; libbpf needs its mapping only on kernels without BPF cookies
 * (< 5.15), where this falls back to tracing every process that maps the
 * library, and says so.
 */
int fl_attach_all(struct tracer *t)
{
	pid_t pid = t->o.pid ? t->o.pid : t->child ? t->child : -1;
	int nlinks;

	for (int i = 0; i < t->targets.n; i++) {
		const char *p = t->targets.path[i];
		int has_fallback = t->child && strcmp(p, t->exe) != 0;

		nlinks = t->nlinks;
		if (!attach_file(t, pid, p, has_fallback))
			continue;
		if (!has_fallback)
			return -1;
		while (t->nlinks > nlinks)
			bpf_link__destroy(t->links[--t->nlinks]);
		fprintf(stderr, "flushlat: warning: %s: attaching for every process that maps it "
				"(this kernel cannot filter a library not yet loaded by PID)\n", p);
		if (attach_file(t, -1, p, 0))
			return -1;
	}
	return 0;
}

void fl_detach_all(struct tracer *t)
{
	while (t->nlinks)
		bpf_link__destroy(t->links[--t->nlinks]);
}

/*
 * Lets the BPF programs read the probe arguments straight from their
 * registers (no helper call) when every attached file passes them the same
 * way; otherwise they keep libbpf's generic reader.  ~60 ns per argument here.
 */
static void set_arg_regs(struct tracer *t)
{
	int s[FL_MAX_ARGS], d[FL_MAX_ARGS], s0 = FL_REG_NONE, d0 = FL_REG_NONE, d1 = FL_REG_NONE;

	for (int i = 0; i < t->targets.n; i++) {
		const char *p = t->targets.path[i];

		if (fl_probe_arg_regs(p, "meta_flush_start", s, FL_MAX_ARGS) != 1 ||
		    fl_probe_arg_regs(p, "meta_flush_done", d, FL_MAX_ARGS) != 2 ||
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

int fl_load_bpf(struct tracer *t)
{
	int ncpu, err;

	t->skel = flushlat__open();
	if (!t->skel) {
		fprintf(stderr, "flushlat: cannot open the BPF object: %s\n", strerror(errno));
		return -1;
	}
	t->skel->rodata->clock_mode = (__u32)t->o.clock;
	t->skel->rodata->start_attached = !t->o.lean;
	set_arg_regs(t);
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
	err = fl_reader_map_inflight(&t->reader);
	if (err) {
		fprintf(stderr, "flushlat: cannot map the in-flight table: %s\n", strerror(-err));
		return -1;
	}
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

