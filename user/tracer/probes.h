/* SPDX-License-Identifier: MIT */
/*
 * probes.h - the files carrying flashstrike USDT notes.  Every file is opened
 * once, never blocking (a FIFO is refused, not waited on), checked to be a
 * regular file, and held open: it is read, deduplicated (by device and inode,
 * not by path) and attached through that one descriptor, so the inode that was
 * checked is the one attached to, and its number cannot be reused meanwhile.
 */
#ifndef FLUSHLAT_PROBES_H
#define FLUSHLAT_PROBES_H

#include <limits.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#define FL_MAX_TARGETS 16

struct bpf_link;

struct fl_target {
	int fd;                     /* held open while attached */
	dev_t dev;
	ino_t ino;
	char path[PATH_MAX];        /* as shown to users */
	struct bpf_link *links[3];  /* its probes once attached (attach.c) */
	int nlinks;
	/* following deploys (watch.c) */
	off_t size;                 /* as attached: another size is a rewrite in place */
	int wd;                     /* inotify watch on the inode, 0 if none */
	int retired;                /* its path names another file now */
	int stale;                  /* rewritten in place: detached until it is whole again */
};

struct fl_targets {
	int n;
	struct fl_target t[FL_MAX_TARGETS];
};

/*
 * Opens path for reading without blocking (O_NONBLOCK: a FIFO opens at once)
 * and without becoming a controlling terminal; returns the fd (close-on-exec)
 * with *st filled, or -errno: -EISDIR for a directory, -EINVAL for anything
 * else that is not a regular file.
 */
int fl_open_regular(const char *path, struct stat *st);
/* "not a regular file", "not an ELF file" or strerror: the text of a -errno above. */
const char *fl_file_error(int err);
/*
 * 1 if the ELF file fd has provider "flashstrike" stapsdt notes, 0 if not,
 * -errno on error (-ENOEXEC: not ELF, or cut short: see fl_elf_complete).  If
 * other is non-NULL, appends "prov:name " of every other probe found (printable
 * characters only, for error messages).
 */
int fl_fd_has_probes(int fd, char *other, size_t otherlen);
/* The same for a path (opened with fl_open_regular). */
int fl_has_probes(const char *path, char *other, size_t otherlen);
/* 1 if the ELF file fd has the probe flashstrike:NAME, 0 if not, -errno on error. */
int fl_fd_has_probe(int fd, const char *name);
/* 1 when every section of the ELF file fd lies inside it (a deploy has finished writing it). */
int fl_elf_complete(int fd);

/*
 * Adds the file fd (with its stat) under the name path.  Returns 1 when added,
 * 0 when the same file (device and inode) is already there, -ENOSPC when
 * full; in the last two cases fd is closed.
 */
int fl_targets_add(struct fl_targets *t, int fd, const struct stat *st, const char *path);
/* Index of the file (dev, ino), -1 if absent. */
int fl_targets_find(const struct fl_targets *t, dev_t dev, ino_t ino);
/* Removes file i (its links must be gone), closing its fd; later files move down. */
void fl_targets_remove(struct fl_targets *t, int i);
void fl_targets_close(struct fl_targets *t);
/* The path under which libbpf and the kernel open target i: /proc/self/fd/FD. */
void fl_target_fd_path(const struct fl_target *t, char *buf, size_t len);

/*
 * The executable and mapped files of pid that carry the probes.  A file is
 * opened through /proc/PID/root (other mount namespaces work); when that path
 * now names another file, or the mapping says "(deleted)" (the binary was
 * replaced on disk), through the mapping itself (/proc/PID/map_files/...),
 * which still holds the mapped inode.  0, or -errno when the maps cannot be
 * read; *denied is the errno of the first file that could not be opened
 * (EACCES: another user's process), 0 if none.
 */
int fl_targets_from_pid(pid_t pid, struct fl_targets *t, char *other, size_t otherlen,
			int *denied);

/* One /proc/PID/maps line. */
struct fl_maps_entry {
	unsigned long start, end;
	dev_t dev;
	ino_t ino;
	const char *path; /* into the line, NULL when anonymous */
	int deleted;      /* the path ends in " (deleted)" */
};
/* Parses one /proc/PID/maps line (pure, tested); 0 or -1 when malformed. */
int fl_maps_line_parse(const char *line, struct fl_maps_entry *e);
/* The path of a maps line, or NULL (pure, tested). */
const char *fl_maps_line_path(const char *line);

#define FL_MAX_ARGS 12 /* USDT arguments per probe (as libbpf) */

/*
 * The register (enum fl_reg) of each argument of flashstrike:PROBE in the ELF
 * file fd, when every site of that probe passes every argument as the same
 * 64-bit register ("8@%rdi").  Returns the number of arguments, or -1 (use
 * the generic argument reader) when any site does otherwise or there is no
 * such probe.
 */
int fl_probe_arg_regs(int fd, const char *probe, int *regs, int max);
/* One argument spec of len bytes ("8@%rdi") -> enum fl_reg, FL_REG_NONE otherwise. */
int fl_usdt_arg_reg(const char *spec, size_t len);
#endif /* FLUSHLAT_PROBES_H */
