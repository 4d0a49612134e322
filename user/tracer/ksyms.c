// SPDX-License-Identifier: MIT
/* ksyms.c - /proc/kallsyms: sorted text symbols, names in one buffer. */
#include "ksyms.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ksym {
	uint64_t addr;
	uint32_t name; /* offset into names */
};

struct fl_ksyms {
	struct ksym *syms;
	size_t n, cap;
	char *names;
	size_t nlen, ncap;
};

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int add(struct fl_ksyms *k, uint64_t addr, const char *name)
{
	size_t len = strlen(name) + 1;

	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 65536;
		struct ksym *s = realloc(k->syms, cap * sizeof(*s));

		if (!s)
			return -1;
		k->syms = s;
		k->cap = cap;
	}
	if (k->nlen + len > UINT32_MAX)
		return -1;
	if (k->nlen + len > k->ncap) {
		size_t cap = k->ncap ? k->ncap * 2 : 1 << 21;
		char *s = realloc(k->names, cap);

		if (!s)
			return -1;
		k->names = s;
		k->ncap = cap;
	}
	memcpy(k->names + k->nlen, name, len);
	k->syms[k->n].addr = addr;
	k->syms[k->n++].name = (uint32_t)k->nlen;
	k->nlen += len;
	return 0;
}

struct fl_ksyms *fl_ksyms_load(char *err, size_t errlen)
{
	struct fl_ksyms *k = calloc(1, sizeof(*k));
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[512], name[256], type;
	unsigned long long a;
	int nonzero = 0;

	if (!k || !f) {
		snprintf(err, errlen, "cannot read /proc/kallsyms: %s", strerror(k ? errno : ENOMEM));
		goto fail;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &a, &type, name) != 3)
			continue;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		nonzero |= a != 0;
		if (add(k, a, name)) {
			snprintf(err, errlen, "cannot read /proc/kallsyms: out of memory");
			goto fail;
		}
	}
	fclose(f);
	f = NULL;
	if (!k->n || !nonzero) {
		snprintf(err, errlen, "/proc/kallsyms shows no addresses (kernel.kptr_restrict): kernel "
				      "stacks cannot be named");
		goto fail;
	}
	qsort(k->syms, k->n, sizeof(*k->syms), cmp_ksym);
	return k;
fail:
	if (f)
		fclose(f);
	fl_ksyms_free(k);
	return NULL;
}

void fl_ksyms_free(struct fl_ksyms *k)
{
	if (!k)
		return;
	free(k->syms);
	free(k->names);
	free(k);
}

const char *fl_ksyms_name(const struct fl_ksyms *k, uint64_t addr)
{
	size_t lo = 0, hi;

	if (!k || !k->n || addr < k->syms[0].addr)
		return "[unknown]";
	hi = k->n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return k->names + k->syms[lo].name;
}
