// SPDX-License-Identifier: MIT
/* target.c - stapsdt note scanning and /proc/PID/maps target resolution. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "flushlat.h"
#include "target.h"

#ifndef FL_MULTIARCH
#define FL_MULTIARCH "x86_64-linux-gnu"
#endif

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

int fl_pid_gone(pid_t pid)
{
	return kill(pid, 0) && errno == ESRCH;
}

static int seen(const struct fl_targets *t, const char *path)
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
		if (n < 0 || (size_t)n >= sizeof(full) || !strcmp(full, last) || seen(t, full))
			continue;
		strcpy(last, full);
		if (fl_has_probes(full, other, otherlen) == 1 && t->n < FL_MAX_TARGETS)
			strcpy(t->path[t->n++], full);
	}
	fclose(f);
	return 0;
}

/* ---- shared-library dependencies (for -- CMD) ---------------------------- */

#define MAX_DEPS 64
#define MAX_DIRS 64

struct dep_walk {
	char path[MAX_DEPS][PATH_MAX]; /* resolved objects, walked in order */
	int n;
	char dirs[MAX_DIRS][PATH_MAX / 4]; /* system search directories */
	int ndirs;
};

static void add_dir(struct dep_walk *w, const char *d, size_t n)
{
	if (!n || n >= sizeof(w->dirs[0]) || w->ndirs == MAX_DIRS)
		return;
	memcpy(w->dirs[w->ndirs], d, n);
	w->dirs[w->ndirs++][n] = '\0';
}

/* Lines of /etc/ld.so.conf.d/NAME.conf are directories (comments and includes skipped). */
static void system_dirs(struct dep_walk *w)
{
	static const char *const defaults[] = { "/lib/" FL_MULTIARCH, "/usr/lib/" FL_MULTIARCH,
						"/lib64", "/usr/lib64", "/lib", "/usr/lib" };
	char cmd[] = "/etc/ld.so.conf.d";
	char line[PATH_MAX / 4], file[PATH_MAX];
	DIR *dir = opendir(cmd);
	struct dirent *de;

	while (dir && (de = readdir(dir))) {
		size_t len = strlen(de->d_name);
		FILE *f;

		if (len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		snprintf(file, sizeof(file), "%s/%s", cmd, de->d_name);
		f = fopen(file, "re");
		while (f && fgets(line, sizeof(line), f)) {
			line[strcspn(line, "#\n")] = '\0';
			if (line[0] == '/')
				add_dir(w, line, strlen(line));
		}
		if (f)
			fclose(f);
	}
	if (dir)
		closedir(dir);
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		add_dir(w, defaults[i], strlen(defaults[i]));
}

/* Reads DT_NEEDED names (NUL-separated into needed) and RUNPATH/RPATH. */
static int elf_dynamic(const char *path, char *needed, size_t nlen, char *rpath, size_t rlen)
{
	Elf_Scn *scn = NULL;
	size_t used = 0;
	int fd, runpath = 0;
	Elf *e;

	needed[0] = rpath[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	e = elf_begin(fd, ELF_C_READ, NULL);
	while (e && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Dyn dyn;
			const char *s;

			if (!gelf_getdyn(data, (int)i, &dyn))
				break;
			if (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_RUNPATH && dyn.d_tag != DT_RPATH)
				continue;
			s = elf_strptr(e, sh.sh_link, dyn.d_un.d_val);
			if (!s)
				continue;
			if (dyn.d_tag == DT_NEEDED && used + strlen(s) + 2 < nlen) {
				strcpy(needed + used, s);
				used += strlen(s) + 1;
				needed[used] = '\0';
			} else if (dyn.d_tag == DT_RUNPATH || (!runpath && dyn.d_tag == DT_RPATH)) {
				snprintf(rpath, rlen, "%s", s); /* RUNPATH wins over RPATH */
				runpath |= dyn.d_tag == DT_RUNPATH;
			}
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	return 0;
}

static int walked(const struct dep_walk *w, const char *path)
{
	for (int i = 0; i < w->n; i++)
		if (!strcmp(w->path[i], path))
			return 1;
	return 0;
}

/* Tries dir/name (dir is n bytes; "$ORIGIN" expanded to origin). */
static int try_dir(const char *dir, size_t n, const char *origin, const char *name, char *out)
{
	char d[PATH_MAX];

	if (n >= 7 && !strncmp(dir, "$ORIGIN", 7))
		snprintf(d, sizeof(d), "%s%.*s", origin, (int)(n - 7), dir + 7);
	else if (n >= 9 && !strncmp(dir, "${ORIGIN}", 9))
		snprintf(d, sizeof(d), "%s%.*s", origin, (int)(n - 9), dir + 9);
	else
		snprintf(d, sizeof(d), "%.*s", (int)n, dir);
	if (snprintf(out, PATH_MAX, "%s/%s", d, name) >= PATH_MAX)
		return 0;
	return access(out, R_OK) == 0;
}

static int search_list(const char *list, const char *origin, const char *name, char *out)
{
	while (list && *list) {
		size_t n = strcspn(list, ":");

		if (n && try_dir(list, n, origin, name, out))
			return 1;
		list += n + (list[n] == ':');
	}
	return 0;
}

static int resolve_dep(const struct dep_walk *w, const char *obj, const char *rpath,
		       const char *name, char *out)
{
	char origin[PATH_MAX];
	const char *slash;

	if (strchr(name, '/')) {
		snprintf(out, PATH_MAX, "%s", name);
		return access(out, R_OK) == 0;
	}
	slash = strrchr(obj, '/');
	snprintf(origin, sizeof(origin), "%.*s", slash ? (int)(slash - obj) : 1, slash ? obj : ".");
	if (search_list(getenv("LD_LIBRARY_PATH"), origin, name, out) ||
	    search_list(rpath, origin, name, out))
		return 1;
	for (int i = 0; i < w->ndirs; i++)
		if (try_dir(w->dirs[i], strlen(w->dirs[i]), origin, name, out))
			return 1;
	return 0;
}

int fl_targets_from_deps(const char *exe, struct fl_targets *t)
{
	static struct dep_walk w; /* large; the tracer is single-threaded here */
	char needed[8192], rpath[PATH_MAX], found[PATH_MAX];
	int added = 0;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return 0;
	memset(&w, 0, sizeof(w));
	system_dirs(&w);
	snprintf(w.path[w.n++], PATH_MAX, "%s", exe);
	for (int i = 0; i < w.n; i++) {
		if (elf_dynamic(w.path[i], needed, sizeof(needed), rpath, sizeof(rpath)))
			continue;
		for (const char *n = needed; *n; n += strlen(n) + 1) {
			if (!resolve_dep(&w, w.path[i], rpath, n, found) || walked(&w, found) ||
			    w.n == MAX_DEPS)
				continue;
			snprintf(w.path[w.n++], PATH_MAX, "%s", found);
			if (fl_has_probes(found, NULL, 0) == 1 && t->n < FL_MAX_TARGETS &&
			    !seen(t, found)) {
				strcpy(t->path[t->n++], found);
				added++;
			}
		}
	}
	return added;
}
