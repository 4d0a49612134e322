// SPDX-License-Identifier: MIT
/*
 * inflight_flood: a misbehaving "recorder" for the in-flight view.  Waits for
 * a tracer (semaphore), fires N meta_flush_start probes with distinct start
 * times, holds them open for HOLD_MS (flushes stuck in fdatasync, as far as a
 * tracer can tell), then completes all N.  With N above the tracer's
 * in-flight capacity, the overflow must show as dropped and unmatched, never
 * vanish; the completions still carry their durations.  Prints "N BASE END"
 * so a test can check the recorded durations exactly.
 *
 *   inflight_flood N HOLD_MS
 */
#define FLASHSTRIKE_PROBES_DEFINE_SEMAPHORES
#include "flashstrike_probes.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	long n = argc == 3 ? atol(argv[1]) : 0, hold = argc == 3 ? atol(argv[2]) : 0;
	uint64_t base, end;

	if (n <= 0 || hold < 0) {
		fprintf(stderr, "usage: inflight_flood N HOLD_MS\n");
		return 2;
	}
	for (int i = 0; i < 10000 && !FLASHSTRIKE_META_FLUSH_DONE_ENABLED(); i++)
		sleep_ms(1);
	if (!FLASHSTRIKE_META_FLUSH_DONE_ENABLED()) {
		fprintf(stderr, "inflight_flood: no tracer attached\n");
		return 2;
	}
	sleep_ms(200); /* both probes attached */
	base = now_ns();
	for (long i = 0; i < n; i++)
		FLASHSTRIKE_META_FLUSH_START(base + (uint64_t)i);
	fprintf(stderr, "inflight_flood: %ld started\n", n);
	sleep_ms(hold);
	end = now_ns();
	for (long i = 0; i < n; i++)
		FLASHSTRIKE_META_FLUSH_DONE(base + (uint64_t)i, end);
	/* what the durations were: end - (base + i), i = 0..n-1 */
	printf("%ld %llu %llu\n", n, (unsigned long long)base, (unsigned long long)end);
	return 0;
}
