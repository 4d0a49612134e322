// SPDX-License-Identifier: MIT
/*
 * probes.c - which files carry the flashstrike USDT probes: stapsdt note
 * scanning (ELF), the files mapped by a process, and where each probe site
 * passes its arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
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

/* 0 after walking every note, -errno (-ENOEXEC: not ELF) when the file cannot be read. */
static int walk_notes(const char *path, note_fn fn, void *ctx)
{
	Elf_Scn *scn = NULL;
	struct stat st;
	int fd;
	Elf *e;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		close(fd);
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
	close(fd);
	return 0;
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
		strcat(h->other, prov);
		strcat(h->other, ":");
		strcat(h->other, name);
		strcat(h->other, " ");
	}
}

int fl_has_probes(const char *path, char *other, size_t otherlen)
{
	struct has_probes h = { .other = other, .olen = otherlen };
	int err = walk_notes(path, has_probes_note, &h);

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

int fl_probe_arg_regs(const char *path, const char *probe, int *regs, int max)
{
	int tmp[FL_MAX_ARGS] = { 0 };
	struct arg_regs a = { .probe = probe, .regs = tmp, .nargs = -1, .usable = 1 };

	if (walk_notes(path, arg_regs_note, &a) || a.nargs < 0 || !a.usable || a.nargs > max)
		return -1;
	memcpy(regs, tmp, (size_t)a.nargs * sizeof(*regs));
	return a.nargs;
}

const char *fl_maps_line_path(const char *line)
{
	const char *p = line;

	/* addr perms offset dev inode path: skip five fields */
	for (int i = 0; i < 5; i++) {
		p = strchr(p, ' ');
		if (!p)
			return NULL;
		while (*p == ' ')
			p++;
	}
	return *p == '/' ? p : NULL;
}

int fl_targets_has(const struct fl_targets *t, const char *path)
{
	for (int i = 0; i < t->n; i++)
		if (!strcmp(t->path[i], path))
			return 1;
	return 0;
}

int fl_targets_from_pid(pid_t pid, struct fl_targets *t, char *other, size_t otherlen)
{
	char buf[PATH_MAX + 256], full[PATH_MAX], last[PATH_MAX] = "";
	FILE *f;

	t->n = 0;
	snprintf(buf, sizeof(buf), "/proc/%d/maps", (int)pid);
	f = fopen(buf, "re");
	if (!f)
		return -errno;
	while (fgets(buf, sizeof(buf), f)) {
		const char *path;
		int n;

		buf[strcspn(buf, "\n")] = 0;
		path = fl_maps_line_path(buf);
		if (!path || strstr(path, " (deleted)"))
			continue;
		n = snprintf(full, sizeof(full), "/proc/%d/root%s", (int)pid, path);
		/* a file's mappings are consecutive lines: examine each file once */
		if (n < 0 || (size_t)n >= sizeof(full) || !strcmp(full, last) || fl_targets_has(t, full))
			continue;
		strcpy(last, full);
		if (fl_has_probes(full, other, otherlen) == 1 && t->n < FL_MAX_TARGETS)
			strcpy(t->path[t->n++], full);
	}
	fclose(f);
	return 0;
}

