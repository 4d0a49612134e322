/* SPDX-License-Identifier: MIT */
/* Human-readable duration and throughput, exactly as the original's helpers. */
#ifndef FLUSHLAT_FORMAT_H
#define FLUSHLAT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* "1.23 us"; returns what snprintf returns. */
int fmt_duration(char *buf, size_t len, uint64_t ns);
/* "500  ops/s", "167 M ops/s"; returns what snprintf returns. */
int fmt_throughput(char *buf, size_t len, double v, const char *suffix);

#endif /* FLUSHLAT_FORMAT_H */
