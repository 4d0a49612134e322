// SPDX-License-Identifier: MIT
/* target.c - stapsdt note scanning and /proc/PID/maps target resolution. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "target.h"

#define NT_STAPSDT 3

static void note_probe(const char *desc, size_t sz, int *found, char *other, size_t olen)
{
	const char *prov, *name;

	if (sz < 3 * 8 + 2)
		return;
	prov = desc + 3 * 8;
	if (!memchr(prov, 0, sz - 24))
		return;
	name = prov + strlen(prov) + 1;
	if (name >= desc + sz || !memchr(name, 0, (size_t)(desc + sz - name)))
		return;
	if (!strcmp(prov, "flashstrike")) {
		*found = 1;
		return;
	}
	if (other && strlen(other) + strlen(prov) + strlen(name) + 3 < olen) {
		strcat(other, prov);
		strcat(other, ":");
		strcat(other, name);
		strcat(other, " ");
	}
}

int fl_has_probes(const char *path, char *other, size_t otherlen)
{
	Elf_Scn *scn = NULL;
	int fd, found = 0;
	Elf *e;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		close(fd);
		return 0;
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
			    memcmp((char *)data->d_buf + noff, "stapsdt", 8))
				continue;
			note_probe((char *)data->d_buf + doff, nh.n_descsz, &found, other,
				   otherlen);
		}
	}
	elf_end(e);
	close(fd);
	return found;
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

static int seen(const struct fl_targets *t, const char *path)
{
	for (int i = 0; i < t->n; i++)
		if (!strcmp(t->path[i], path))
			return 1;
	return 0;
}

int fl_targets_from_pid(pid_t pid, struct fl_targets *t, char *other, size_t otherlen)
{
	char buf[PATH_MAX + 256], full[PATH_MAX];
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
		if (n < 0 || (size_t)n >= sizeof(full) || seen(t, full))
			continue;
		if (fl_has_probes(full, other, otherlen) == 1 && t->n < FL_MAX_TARGETS)
			strcpy(t->path[t->n++], full);
	}
	fclose(f);
	return 0;
}
