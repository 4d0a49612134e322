// SPDX-License-Identifier: MIT
/*
 * probes.c - which files carry the flashstrike USDT probes: stapsdt note
 * scanning (ELF), the files mapped by a process, and where each probe site
 * passes its arguments.
 */
#define _GNU_SOURCE /* O_PATH */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "flushlat.h"
#include "probes.h"

#define NT_STAPSDT 3

/* Calls fn for every stapsdt note: provider, name, argument spec. */
typedef void (*note_fn)(const char *prov, const char *name, const char *args, void *ctx);

static void parse_note(const char *desc, size_t sz, note_fn fn, void *ctx)
{
	const char *prov, *name, *args;

	if (sz < 3 * 8 + 2)
		return;
	prov = desc + 3 * 8;
	if (!memchr(prov, 0, sz - 24))
		return;
	name = prov + strlen(prov) + 1;
	if (name >= desc + sz || !memchr(name, 0, (size_t)(desc + sz - name)))
		return;
	args = name + strlen(name) + 1;
	if (args >= desc + sz || !memchr(args, 0, (size_t)(desc + sz - args)))
		args = "";
	fn(prov, name, args, ctx);
}

/*
 * Looked at through O_PATH first: a FIFO, a device or a socket is never
 * opened (no blocking, no side effect); then the same inode is opened for
 * reading through its descriptor.
 */
int fl_open_regular(const char *path, struct stat *st)
{
	int pfd = open(path, O_PATH | O_CLOEXEC), fd, err = 0;
	char self[64];

	memset(st, 0, sizeof(*st));
	if (pfd < 0)
		return -errno;
	if (fstat(pfd, st))
		err = -errno;
	else if (!S_ISREG(st->st_mode))
		err = S_ISDIR(st->st_mode) ? -EISDIR : -EINVAL;
	if (err) {
		close(pfd);
		return err;
	}
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
	fd = open(self, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	err = -errno;
	close(pfd);
	return fd >= 0 ? fd : err;
}

const char *fl_file_error(int err)
{
	if (err == -EINVAL)
		return "not a regular file";
	if (err == -ENOEXEC)
		return "not an ELF file";
	return strerror(-err);
}

/* 0 after walking every note, -errno (-ENOEXEC: not ELF) when the file cannot be read. */
static int walk_notes(int fd, note_fn fn, void *ctx)
{
	Elf_Scn *scn = NULL;
	Elf *e;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		return -ENOEXEC; /* not an ELF file */
	}
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		while ((off = gelf_getnote(data, off, &nh, &noff, &doff)) > 0) {
			if (nh.n_type != NT_STAPSDT || nh.n_namesz != 8 ||
			    memcmp((char *)data->d_buf + noff, "stapsdt", 8) != 0)
				continue;
			parse_note((char *)data->d_buf + doff, nh.n_descsz, fn, ctx);
		}
	}
	elf_end(e);
	return 0;
}

int fl_elf_complete(int fd)
{
	struct stat st;
	GElf_Ehdr eh;
	Elf_Scn *scn = NULL;
	size_t shnum;
	int ok;
	Elf *e;

	if (elf_version(EV_CURRENT) == EV_NONE || fstat(fd, &st))
		return 0;
	e = elf_begin(fd, ELF_C_READ, NULL);
	ok = e && elf_kind(e) == ELF_K_ELF && gelf_getehdr(e, &eh) && !elf_getshdrnum(e, &shnum) &&
	     eh.e_shoff + (uint64_t)shnum * eh.e_shentsize <= (uint64_t)st.st_size &&
	     eh.e_phoff + (uint64_t)eh.e_phnum * eh.e_phentsize <= (uint64_t)st.st_size;
	while (ok && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;

		ok = gelf_getshdr(scn, &sh) &&
		     (sh.sh_type == SHT_NOBITS || sh.sh_offset + sh.sh_size <= (uint64_t)st.st_size);
	}
	if (e)
		elf_end(e);
	return ok;
}

struct has_probes {
	int found;
	char *other;
	size_t olen;
};

static void has_probes_note(const char *prov, const char *name, const char *args, void *ctx)
{
	struct has_probes *h = ctx;

	(void)args;
	if (!strcmp(prov, "flashstrike")) {
		h->found = 1;
		return;
	}
	if (h->other && strlen(h->other) + strlen(prov) + strlen(name) + 3 < h->olen) {
		char *p = h->other + strlen(h->other);

		strcat(h->other, prov);
		strcat(h->other, ":");
		strcat(h->other, name);
		strcat(h->other, " ");
		/* names from any binary: nothing that could drive a terminal or split the line */
		for (; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
				*p = '?';
	}
}

int fl_fd_has_probes(int fd, char *other, size_t otherlen)
{
	struct has_probes h = { .other = other, .olen = otherlen };
	int err = walk_notes(fd, has_probes_note, &h);

	return err ? err : h.found;
}

int fl_has_probes(const char *path, char *other, size_t otherlen)
{
	struct stat st;
	int fd = fl_open_regular(path, &st), ret;

	if (fd < 0)
		return fd;
	ret = fl_fd_has_probes(fd, other, otherlen);
	close(fd);
	return ret;
}

struct has_probe {
	const char *name;
	int found;
};

static void has_probe_note(const char *prov, const char *name, const char *args, void *ctx)
{
	struct has_probe *h = ctx;

	(void)args;
	if (!strcmp(prov, "flashstrike") && !strcmp(name, h->name))
		h->found = 1;
}

int fl_fd_has_probe(int fd, const char *name)
{
	struct has_probe h = { .name = name };
	int err = walk_notes(fd, has_probe_note, &h);

	return err ? err : h.found;
}

/* "8@%rdi" -> FL_REG_RDI; anything but a 64-bit register -> FL_REG_NONE. */
int fl_usdt_arg_reg(const char *spec, size_t len)
{
	static const char *const names[FL_REG_NR] = {
		"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
		"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
	};

	if (len > 3 && !strncmp(spec, "-8@", 3)) {
		spec++;
		len--;
	}
	if (len < 4 || strncmp(spec, "8@%", 3) != 0)
		return FL_REG_NONE;
	for (int r = 0; r < FL_REG_NR; r++)
		if (strlen(names[r]) == len - 3 && !strncmp(spec + 3, names[r], len - 3))
			return r;
	return FL_REG_NONE;
}

struct arg_regs {
	const char *probe;
	int *regs;
	int nargs;  /* -1: not seen yet */
	int usable; /* every site so far had every argument in a 64-bit register */
};

static void arg_regs_note(const char *prov, const char *name, const char *args, void *ctx)
{
	struct arg_regs *a = ctx;
	int n = 0;

	if (strcmp(prov, "flashstrike") != 0 || strcmp(name, a->probe) != 0)
		return;
	while (*args) {
		size_t len = strcspn(args, " ");
		int reg = fl_usdt_arg_reg(args, len);

		if (len && n < FL_MAX_ARGS) {
			if (reg == FL_REG_NONE || (a->nargs >= 0 && a->regs[n] != reg))
				a->usable = 0;
			a->regs[n++] = reg;
		}
		args += len;
		while (*args == ' ')
			args++;
	}
	if (a->nargs >= 0 && a->nargs != n)
		a->usable = 0;
	a->nargs = n;
}

int fl_probe_arg_regs(int fd, const char *probe, int *regs, int max)
{
	int tmp[FL_MAX_ARGS] = { 0 };
	struct arg_regs a = { .probe = probe, .regs = tmp, .nargs = -1, .usable = 1 };

	if (walk_notes(fd, arg_regs_note, &a) || a.nargs < 0 || !a.usable || a.nargs > max)
		return -1;
	memcpy(regs, tmp, (size_t)a.nargs * sizeof(*regs));
	return a.nargs;
}

int fl_maps_line_parse(const char *line, struct fl_maps_entry *e)
{
	unsigned int maj, min;
	unsigned long ino;
	size_t n;
	int pos = 0;

	memset(e, 0, sizeof(*e));
	/* start-end perms offset dev inode [path] */
	if (sscanf(line, "%lx-%lx %*s %*s %x:%x %lu%n", &e->start, &e->end, &maj, &min, &ino,
		   &pos) != 5)
		return -1;
	e->dev = makedev(maj, min);
	e->ino = (ino_t)ino;
	line += pos;
	while (*line == ' ')
		line++;
	if (*line != '/')
		return 0;
	e->path = line;
	n = strlen(line);
	e->deleted = n > 10 && !strcmp(line + n - 10, " (deleted)");
	return 0;
}

const char *fl_maps_line_path(const char *line)
{
	struct fl_maps_entry e;

	return fl_maps_line_parse(line, &e) ? NULL : e.path;
}

int fl_targets_find(const struct fl_targets *t, dev_t dev, ino_t ino)
{
	for (int i = 0; i < t->n; i++)
		if (t->t[i].dev == dev && t->t[i].ino == ino)
			return i;
	return -1;
}

int fl_targets_add(struct fl_targets *t, int fd, const struct stat *st, const char *path)
{
	struct fl_target *x;

	if (fl_targets_find(t, st->st_dev, st->st_ino) >= 0) {
		close(fd);
		return 0;
	}
	if (t->n == FL_MAX_TARGETS) {
		close(fd);
		return -ENOSPC;
	}
	x = &t->t[t->n++];
	memset(x, 0, sizeof(*x));
	x->fd = fd;
	x->dev = st->st_dev;
	x->ino = st->st_ino;
	x->size = st->st_size;
	snprintf(x->path, sizeof(x->path), "%s", path);
	return 1;
}

void fl_targets_remove(struct fl_targets *t, int i)
{
	if (i < 0 || i >= t->n)
		return;
	close(t->t[i].fd);
	memmove(&t->t[i], &t->t[i + 1], (size_t)(t->n - i - 1) * sizeof(t->t[0]));
	t->n--;
}

void fl_targets_close(struct fl_targets *t)
{
	while (t->n)
		fl_targets_remove(t, t->n - 1);
}

void fl_target_fd_path(const struct fl_target *t, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d", t->fd);
}

/*
 * Opens the file of one mapping of pid: through /proc/PID/root by its path
 * when that still names the mapped inode, else through the mapping itself.
 */
static int open_mapped(pid_t pid, const struct fl_maps_entry *e, struct stat *st)
{
	char p[PATH_MAX + 64];
	int fd = -ENOENT;

	if (!e->deleted) {
		snprintf(p, sizeof(p), "/proc/%d/root%s", (int)pid, e->path);
		fd = fl_open_regular(p, st);
		if (fd >= 0 && st->st_dev == e->dev && st->st_ino == e->ino)
			return fd;
		if (fd >= 0)
			close(fd);
	}
	snprintf(p, sizeof(p), "/proc/%d/map_files/%lx-%lx", (int)pid, e->start, e->end);
	fd = fl_open_regular(p, st);
	if (fd >= 0 && (st->st_dev != e->dev || st->st_ino != e->ino)) {
		close(fd);
		return -ESTALE; /* remapped meanwhile */
	}
	return fd;
}

int fl_targets_from_pid(pid_t pid, struct fl_targets *t, char *other, size_t otherlen,
			int *denied)
{
	char buf[PATH_MAX + 256];
	dev_t last_dev = 0;
	ino_t last_ino = 0;
	FILE *f;

	*denied = 0;
	snprintf(buf, sizeof(buf), "/proc/%d/maps", (int)pid);
	f = fopen(buf, "re");
	if (!f)
		return -errno;
	while (fgets(buf, sizeof(buf), f)) {
		struct fl_maps_entry e;
		struct stat st;
		int fd;

		buf[strcspn(buf, "\n")] = 0;
		if (fl_maps_line_parse(buf, &e) || !e.path)
			continue;
		/* a file's mappings are consecutive lines: examine each file once */
		if ((e.dev == last_dev && e.ino == last_ino) || fl_targets_find(t, e.dev, e.ino) >= 0)
			continue;
		last_dev = e.dev;
		last_ino = e.ino;
		fd = open_mapped(pid, &e, &st);
		if (fd < 0) {
			if ((fd == -EACCES || fd == -EPERM) && !*denied)
				*denied = -fd;
			continue;
		}
		if (fl_fd_has_probes(fd, other, otherlen) != 1) {
			close(fd);
			continue;
		}
		fl_targets_add(t, fd, &st, e.path); /* closes fd when not added */
	}
	fclose(f);
	return 0;
}
