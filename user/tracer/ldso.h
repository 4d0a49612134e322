/* SPDX-License-Identifier: MIT */
/* ldso.h - shared-library dependencies resolved as the dynamic loader would. */
#ifndef FLUSHLAT_LDSO_H
#define FLUSHLAT_LDSO_H

#include "probes.h"

/*
 * Add to t the shared libraries exe depends on (DT_NEEDED, transitively)
 * that carry the probes, resolved as the dynamic loader would:
 * LD_LIBRARY_PATH, the object's RUNPATH/RPATH ($ORIGIN expanded), the
 * directories of /etc/ld.so.conf.d, then the default directories.  Used by
 * `-- CMD`, which must attach before the libraries are even loaded.
 * Returns the number of libraries added.
 */
int fl_targets_from_deps(const char *exe, struct fl_targets *t);

#endif /* FLUSHLAT_LDSO_H */
