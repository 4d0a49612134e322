// SPDX-License-Identifier: MIT
/*
 * metastore_demo: records the durations given on the command line (ns) into a
 * MetaStore and prints dump("Meta Store") and collect() with the recorder's
 * own prefix and outer label.  A quick way to see the reference text.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "metastore.h"
#include "prom.h"

int main(int argc, char **argv)
{
	struct metastore ms;
	struct strbuf sb;
	struct prom_writer w;

	metastore_init(&ms);
	for (int i = 1; i < argc; i++) {
		char *end;

		errno = 0;
		unsigned long long v = strtoull(argv[i], &end, 10);
		if (errno || *end || end == argv[i] || argv[i][0] == '-') {
			fprintf(stderr, "metastore_demo: not a duration in ns: '%s'\n", argv[i]);
			return 2;
		}
		metastore_record_duration(&ms, v);
	}
	metastore_dump(&ms, "Meta Store", stdout);
	strbuf_init(&sb);
	prom_writer_init(&w, &sb);
	collector_push_label(prom_writer_collector(&w), "system", "wal_recorder");
	metastore_collect(&ms, "ie_wal_recorder__meta_store", prom_writer_collector(&w));
	collector_pop_label(prom_writer_collector(&w));
	fputs(strbuf_str(&sb), stdout);
	strbuf_free(&sb);
	return 0;
}
