// SPDX-License-Identifier: MIT
/*
 * duration() and throughput() of the original telemetry: scale by 1000 while
 * the value is >= 1000, then 2 decimals below 10, 1 below 100, else 0.
 */
#include "format.h"

#include <stdio.h>

static int precision(double v)
{
	if (v < 10.0)
		return 2;
	if (v < 100.0)
		return 1;
	return 0;
}

int fmt_duration(char *buf, size_t len, uint64_t ns)
{
	static const char *const units[] = { "ns", "us", "ms", "s" };
	double v = (double)ns;
	size_t u = 0;

	while (v >= 1000.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1000.0;
		u++;
	}
	return snprintf(buf, len, "%.*f %s", precision(v), v, units[u]);
}

int fmt_throughput(char *buf, size_t len, double v, const char *suffix)
{
	static const char *const units[] = { "", "K", "M", "G", "T" };
	size_t u = 0;

	while (v >= 1000.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1000.0;
		u++;
	}
	return snprintf(buf, len, "%.*f %s %s", precision(v), v, units[u], suffix);
}
