// SPDX-License-Identifier: MIT
/*
 * slow_stop: a "recorder" that takes its time to stop, for the signal tests.
 * Fires one meta flush every PERIOD_MS and appends its duration to LOG (one
 * line per flush, written before the next one, so LOG is exact even if it is
 * killed).  The first SIGINT, SIGTERM or SIGHUP starts a shutdown that lasts STOP_MS
 * (flushing on, later signals changing nothing); then it exits with EXIT.
 * With "nohandler" it installs no handler: SIGTERM kills it (status 143);
 * with "intonly" it handles SIGINT only.
 *
 *   slow_stop LOG PERIOD_MS STOP_MS EXIT [nohandler|intonly]
 */
#define _GNU_SOURCE
#define FLASHSTRIKE_PROBES_DEFINE_SEMAPHORES
#include "flashstrike_probes.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_sig;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL); /* a signal may cut it short: the loop checks the time */
}

static void on_signal(int sig)
{
	if (!stop_sig)
		stop_sig = sig;
}

int main(int argc, char **argv)
{
	const char *mode = argc == 6 ? argv[5] : "";
	long period, stop_ms;
	uint64_t stop_at = 0;
	int fd, code;

	if (argc < 5 || argc > 6 ||
	    (*mode && strcmp(mode, "nohandler") != 0 && strcmp(mode, "intonly") != 0)) {
		fprintf(stderr, "usage: slow_stop LOG PERIOD_MS STOP_MS EXIT [nohandler|intonly]\n");
		return 2;
	}
	period = atol(argv[2]);
	stop_ms = atol(argv[3]);
	code = atoi(argv[4]);
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0 || period <= 0 || stop_ms < 0) {
		fprintf(stderr, "slow_stop: bad arguments or cannot open %s\n", argv[1]);
		return 2;
	}
	if (strcmp(mode, "nohandler") != 0) {
		struct sigaction sa = { .sa_handler = on_signal };

		sigaction(SIGINT, &sa, NULL);
		if (!*mode) {
			sigaction(SIGTERM, &sa, NULL);
			sigaction(SIGHUP, &sa, NULL);
		}
	}
	if (!FLASHSTRIKE_META_FLUSH_DONE_ENABLED()) {
		fprintf(stderr, "slow_stop: no tracer attached\n");
		return 2;
	}
	fprintf(stderr, "slow_stop: running\n");
	for (;;) {
		uint64_t start = now_ns(), end;
		char line[32];
		int n;

		FLASHSTRIKE_META_FLUSH_START(start);
		end = now_ns() + 1000; /* at least 1 us: never a 0 duration */
		FLASHSTRIKE_META_FLUSH_DONE(start, end);
		n = snprintf(line, sizeof(line), "%llu\n", (unsigned long long)(end - start));
		if (write(fd, line, (size_t)n) != n)
			return 1;
		if (stop_sig && !stop_at) {
			stop_at = now_ns() + (uint64_t)stop_ms * 1000000ULL;
			fprintf(stderr, "slow_stop: signal %d, stopping in %ld ms\n", (int)stop_sig,
				stop_ms);
		}
		if (stop_at && now_ns() >= stop_at)
			return code;
		sleep_ms(period);
	}
}
