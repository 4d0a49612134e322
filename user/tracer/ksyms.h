/* SPDX-License-Identifier: MIT */
/*
 * ksyms.h - kernel text symbols from /proc/kallsyms, read once while
 * flushlat is still privileged (an unprivileged reader sees every address as
 * 0 under kptr_restrict), to name the frames of kernel stacks.
 */
#ifndef FLUSHLAT_KSYMS_H
#define FLUSHLAT_KSYMS_H

#include <stddef.h>
#include <stdint.h>

struct fl_ksyms;

/* Reads /proc/kallsyms; NULL with a message in err (hidden addresses included). */
struct fl_ksyms *fl_ksyms_load(char *err, size_t errlen);
void fl_ksyms_free(struct fl_ksyms *k);
/* The function holding addr, or "[unknown]". */
const char *fl_ksyms_name(const struct fl_ksyms *k, uint64_t addr);

#endif /* FLUSHLAT_KSYMS_H */
