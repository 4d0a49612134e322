// SPDX-License-Identifier: MIT
/*
 * probes_cxx.cpp - flashstrike_probes.h must work in a C++ translation unit
 * (FlashStrike's recorder is C++).  Built with g++ -Wall -Wextra -Werror in
 * three flavours (semaphores, FLASHSTRIKE_PROBES_NO_SEMAPHORES,
 * FLASHSTRIKE_PROBES_DISABLE); fires the three probes and checks what
 * *_ENABLED() reports with no tracer attached (EXPECT_ENABLED).  The failed
 * probe is given an int errno: its note must still say "-8@" (the header
 * casts to the ABI's i64; test_readelf.sh checks).
 */
#define FLASHSTRIKE_PROBES_DEFINE_SEMAPHORES
#include "flashstrike_probes.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <type_traits>

#ifndef EXPECT_ENABLED
#error "build with -DEXPECT_ENABLED=0 or 1"
#endif

#if !defined(FLASHSTRIKE_PROBES_DISABLE) && !defined(FLASHSTRIKE_PROBES_NO_SEMAPHORES)
/* The semaphore words sys/sdt.h names, with C linkage and the kernel's width. */
static_assert(std::is_same<decltype(flashstrike_meta_flush_start_semaphore),
			   volatile unsigned short>::value,
	      "start semaphore is a volatile unsigned short");
static_assert(std::is_same<decltype(flashstrike_meta_flush_done_semaphore),
			   volatile unsigned short>::value,
	      "done semaphore is a volatile unsigned short");
static_assert(std::is_same<decltype(flashstrike_meta_flush_failed_semaphore),
			   volatile unsigned short>::value,
	      "failed semaphore is a volatile unsigned short");
#endif

namespace {

std::uint64_t now_ns()
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u +
	       static_cast<std::uint64_t>(ts.tv_nsec);
}

/* A C++-ish call site: a member function, const arguments, expressions. */
struct flusher {
	std::uint64_t flushes = 0;

	void flush()
	{
		const std::uint64_t start_ns = now_ns();

		if (FLASHSTRIKE_META_FLUSH_START_ENABLED())
			FLASHSTRIKE_META_FLUSH_START(start_ns);
		FLASHSTRIKE_META_FLUSH_START(start_ns + 0);
		++flushes;
		if (flushes % 2) {
			FLASHSTRIKE_META_FLUSH_DONE(start_ns, now_ns());
		} else {
			const int err = EIO;

			FLASHSTRIKE_META_FLUSH_FAILED(start_ns, err);
		}
	}
};

} // namespace

int main()
{
	flusher f;
	int bad = 0;

	for (int i = 0; i < 3; i++)
		f.flush();
	if (f.flushes != 3)
		bad = 1;
	if (bool(FLASHSTRIKE_META_FLUSH_START_ENABLED()) != bool(EXPECT_ENABLED) ||
	    bool(FLASHSTRIKE_META_FLUSH_DONE_ENABLED()) != bool(EXPECT_ENABLED) ||
	    bool(FLASHSTRIKE_META_FLUSH_FAILED_ENABLED()) != bool(EXPECT_ENABLED) ||
	    bool(FLASHSTRIKE_META_FLUSH_ENABLED()) != bool(EXPECT_ENABLED)) {
		std::fprintf(stderr, "probes_cxx: *_ENABLED() is %d/%d/%d, want %d (no tracer)\n",
			     int(bool(FLASHSTRIKE_META_FLUSH_START_ENABLED())),
			     int(bool(FLASHSTRIKE_META_FLUSH_DONE_ENABLED())),
			     int(bool(FLASHSTRIKE_META_FLUSH_ENABLED())), int(EXPECT_ENABLED));
		bad = 1;
	}
	std::printf("probes_cxx: enabled=%d (want %d)%s\n", int(bool(FLASHSTRIKE_META_FLUSH_ENABLED())),
		    int(EXPECT_ENABLED), bad ? " FAIL" : " ok");
	return bad;
}
