// SPDX-License-Identifier: MIT
/*
 * ldso.c - the shared libraries a program will load, found as the dynamic
 * loader finds them (DT_NEEDED, transitively; LD_LIBRARY_PATH, RUNPATH/RPATH
 * with $ORIGIN, /etc/ld.so.conf.d, the default directories), so `-- CMD` can
 * attach to a library before CMD has loaded it.
 */
#include <dirent.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "ldso.h"

#ifndef FL_MULTIARCH
#define FL_MULTIARCH "x86_64-linux-gnu"
#endif

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

/* A configuration file as a stream; never blocks (a FIFO is skipped). */
static FILE *open_text(const char *path)
{
	struct stat st;
	int fd = fl_open_regular(path, &st);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
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
		f = open_text(file);
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
	struct stat st;
	size_t used = 0;
	int fd, runpath = 0;
	Elf *e;

	needed[0] = rpath[0] = '\0';
	fd = fl_open_regular(path, &st);
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

/* Adds path when it carries the probes (the same file twice is kept once); 1 if added. */
static int add_if_probes(struct fl_targets *t, const char *path)
{
	struct stat st;
	int fd = fl_open_regular(path, &st);

	if (fd < 0)
		return 0;
	if (fl_fd_has_probes(fd, NULL, 0) != 1) {
		close(fd);
		return 0;
	}
	return fl_targets_add(t, fd, &st, path) == 1; /* closes fd when not added */
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
			added += add_if_probes(t, found);
		}
	}
	return added;
}
