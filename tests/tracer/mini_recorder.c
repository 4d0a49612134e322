// SPDX-License-Identifier: MIT
/*
 * mini_recorder.c - a stand-in for the sample recorder: N writer threads
 * each fire meta_flush_start/done with varying durations and print the
 * exact in-process samples/total/min/max on exit.
 *
 *   mini_recorder FLUSHES WRITERS [WAIT_SECS]
 * With WAIT_SECS, waits (up to WAIT_SECS) for the semaphore to flip first.
 */
#define FLASHSTRIKE_PROBES_DEFINE_SEMAPHORES
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "flashstrike_probes.h"

static long flushes;
static uint64_t total, samples, mn = UINT64_MAX, mx;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *writer(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;

	for (long i = 0; i < flushes; i++) {
		uint64_t s = now_ns(), e;
		volatile unsigned spin = rand_r(&seed) % 5000;

		FLASHSTRIKE_META_FLUSH_START(s);
		while (spin)
			spin--;
		e = now_ns();
		FLASHSTRIKE_META_FLUSH_DONE(s, e);
		pthread_mutex_lock(&lock);
		total += e - s;
		samples++;
		if (e - s < mn)
			mn = e - s;
		if (e - s > mx)
			mx = e - s;
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[64];
	int n;

	if (argc < 3)
		return 2;
	flushes = atol(argv[1]);
	n = atoi(argv[2]);
	if (n < 1 || n > 64)
		return 2;
	if (argc > 3) {
		for (int i = 0; i < atoi(argv[3]) * 100 && !FLASHSTRIKE_META_FLUSH_DONE_ENABLED(); i++)
			usleep(10000);
		if (!FLASHSTRIKE_META_FLUSH_DONE_ENABLED())
			return 3;
	}
	for (int i = 0; i < n; i++)
		pthread_create(&th[i], NULL, writer, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	printf("meta_flush samples=%llu total_ns=%llu min_ns=%llu max_ns=%llu\n",
	       (unsigned long long)samples, (unsigned long long)total,
	       (unsigned long long)mn, (unsigned long long)mx);
	return 0;
}
