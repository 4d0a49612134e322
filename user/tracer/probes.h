/* SPDX-License-Identifier: MIT */
/* probes.h - find the files carrying flashstrike USDT notes. */
#ifndef FLUSHLAT_PROBES_H
#define FLUSHLAT_PROBES_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#define FL_MAX_TARGETS 16

struct fl_targets {
	int n;
	char path[FL_MAX_TARGETS][PATH_MAX];
};

/* 1 if ELF file path has provider "flashstrike" stapsdt notes, 0 if not,
 * -errno on error.  If other is non-NULL, appends "prov:name " of every
 * other probe found (for error messages). */
int fl_has_probes(const char *path, char *other, size_t otherlen);
/* Collect the exe and mapped files of pid that carry the probes; paths go
 * through /proc/PID/root so they work across mount namespaces. */
int fl_targets_from_pid(pid_t pid, struct fl_targets *t, char *other, size_t otherlen);
/* 1 if path is already one of t's files. */
int fl_targets_has(const struct fl_targets *t, const char *path);
/* Parse one /proc/PID/maps line; returns the path or NULL (pure, tested). */
const char *fl_maps_line_path(const char *line);

#define FL_MAX_ARGS 12 /* USDT arguments per probe (as libbpf) */

/*
 * The register (enum fl_reg) of each argument of flashstrike:PROBE in path,
 * when every site of that probe passes every argument as the same 64-bit
 * register ("8@%rdi").  Returns the number of arguments, or -1 (use the
 * generic argument reader) when any site does otherwise or path has no such
 * probe.
 */
int fl_probe_arg_regs(const char *path, const char *probe, int *regs, int max);
/* One argument spec of len bytes ("8@%rdi") -> enum fl_reg, FL_REG_NONE otherwise. */
int fl_usdt_arg_reg(const char *spec, size_t len);
#endif /* FLUSHLAT_PROBES_H */
