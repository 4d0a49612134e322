// SPDX-License-Identifier: MIT
/* telemetry.c - the recorder's in-process MetaStore (see telemetry.h). */
#include "telemetry.h"

#include "metastore.h"

static struct metastore ms = {
	.maintenance_meta_flush.min_ns.value = FL_MIN_EMPTY,
};

void fs_telemetry_record(uint64_t start_ns, uint64_t end_ns)
{
	metastore_record(&ms, start_ns, end_ns);
}

void fs_telemetry_values(uint64_t v[4])
{
	const struct duration64 *d = &ms.maintenance_meta_flush;

	v[0] = d->samples.value;
	v[1] = d->total_ns.value;
	v[2] = d->min_ns.value;
	v[3] = d->max_ns.value;
}

void fs_telemetry_dump(FILE *f)
{
	metastore_dump(&ms, "Meta Store", f);
}
