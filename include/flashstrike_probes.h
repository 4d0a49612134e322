/* SPDX-License-Identifier: MIT */
/*
 * flashstrike_probes.h - the FlashStrike recorder's USDT probe ABI.
 *
 * Provider "flashstrike", three probes, each guarded by a semaphore so that
 * an untraced recorder pays one load and one predictable branch per site:
 *
 *   meta_flush_start(u64 start_ns)              a metadata flush begins
 *   meta_flush_done(u64 start_ns, u64 end_ns)   it completed (may be another thread)
 *   meta_flush_failed(u64 start_ns, i64 err)    it failed: not recorded, err is
 *                                                the errno of the failing step
 *
 * start_ns and end_ns come from the recorder's own monotonic ns clock: exactly
 * what the in-process MetaStore::record(start_ns, end_ns) receives.  A flush
 * that started ends with exactly one of done or failed; a flush that returns
 * early (nothing to write) fires none of them (see
 * docs/instrumenting-flashstrike.md for where each goes).
 *
 * Use, from C or C++:
 *
 *   if (FLASHSTRIKE_META_FLUSH_START_ENABLED())
 *           FLASHSTRIKE_META_FLUSH_START(start_ns);
 *   ...
 *   FLASHSTRIKE_META_FLUSH_DONE(start_ns, end_ns);   (tests the semaphore itself)
 *   or, on a failing step: FLASHSTRIKE_META_FLUSH_FAILED(start_ns, errno);
 *
 * Semaphores: every translation unit that includes this header declares them;
 * exactly ONE translation unit of the binary or shared library must define
 * them, by defining FLASHSTRIKE_PROBES_DEFINE_SEMAPHORES before the include.
 *
 * Build switches (define before including, the same in every TU):
 *   FLASHSTRIKE_PROBES_NO_SEMAPHORES  probes always fire (no semaphore words);
 *                                      *_ENABLED() is then always 1
 *   FLASHSTRIKE_PROBES_DISABLE        no probes at all (*_ENABLED() is 0);
 *                                      the baseline for overhead benchmarks
 *   FLASHSTRIKE_PROBES_NOP1           keep sys/sdt.h's 1-byte nop at the probe
 *                                      sites (default on x86-64: a 5-byte nop,
 *                                      see flashstrike_probes_nop.h)
 */
#ifndef FLASHSTRIKE_PROBES_H
#define FLASHSTRIKE_PROBES_H

/*
 * meta_flush_failed's arguments are cast to their ABI widths, so its ELF note
 * reads "8@... -8@..." whatever integer type the caller passes (errno is an
 * int).  The two older probes pass their arguments as given (their ABI).
 */
#ifdef __cplusplus
#define FLASHSTRIKE__U64(v) static_cast<unsigned long long>(v)
#define FLASHSTRIKE__I64(v) static_cast<long long>(v)
#else
#define FLASHSTRIKE__U64(v) ((unsigned long long)(v))
#define FLASHSTRIKE__I64(v) ((long long)(v))
#endif

#if defined(FLASHSTRIKE_PROBES_DISABLE)

#define FLASHSTRIKE_META_FLUSH_START_ENABLED() 0
#define FLASHSTRIKE_META_FLUSH_DONE_ENABLED() 0
#define FLASHSTRIKE_META_FLUSH_FAILED_ENABLED() 0
#define FLASHSTRIKE_META_FLUSH_START(start_ns) ((void)(start_ns))
#define FLASHSTRIKE_META_FLUSH_DONE(start_ns, end_ns) ((void)(start_ns), (void)(end_ns))
#define FLASHSTRIKE_META_FLUSH_FAILED(start_ns, err) ((void)(start_ns), (void)(err))

#elif defined(FLASHSTRIKE_PROBES_NO_SEMAPHORES)

#include <sys/sdt.h>
#include "flashstrike_probes_nop.h"

#define FLASHSTRIKE_META_FLUSH_START_ENABLED() 1
#define FLASHSTRIKE_META_FLUSH_DONE_ENABLED() 1
#define FLASHSTRIKE_META_FLUSH_FAILED_ENABLED() 1
#define FLASHSTRIKE_META_FLUSH_START(start_ns) STAP_PROBE1(flashstrike, meta_flush_start, start_ns)
#define FLASHSTRIKE_META_FLUSH_DONE(start_ns, end_ns)                                              \
	STAP_PROBE2(flashstrike, meta_flush_done, start_ns, end_ns)
#define FLASHSTRIKE_META_FLUSH_FAILED(start_ns, err)                                               \
	STAP_PROBE2(flashstrike, meta_flush_failed, FLASHSTRIKE__U64(start_ns), FLASHSTRIKE__I64(err))

#else /* probes with semaphores (the default) */

/* Makes sys/sdt.h record each semaphore's address in the probe's ELF note. */
#ifndef _SDT_HAS_SEMAPHORES
#define _SDT_HAS_SEMAPHORES 1
#endif
#include <sys/sdt.h>
#include "flashstrike_probes_nop.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The kernel (uprobe ref_ctr_offset) increments these while a tracer is
 * attached.  They live in ".probes" as systemtap's dtrace -G does, and their
 * names are fixed by sys/sdt.h: <provider>_<probe>_semaphore.
 */
#ifdef FLASHSTRIKE_PROBES_DEFINE_SEMAPHORES
#define FLASHSTRIKE__SEM_STORAGE
#else
#define FLASHSTRIKE__SEM_STORAGE extern
#endif
FLASHSTRIKE__SEM_STORAGE volatile unsigned short flashstrike_meta_flush_start_semaphore
	__attribute__((unused, section(".probes"), visibility("default")));
FLASHSTRIKE__SEM_STORAGE volatile unsigned short flashstrike_meta_flush_done_semaphore
	__attribute__((unused, section(".probes"), visibility("default")));
FLASHSTRIKE__SEM_STORAGE volatile unsigned short flashstrike_meta_flush_failed_semaphore
	__attribute__((unused, section(".probes"), visibility("default")));
#undef FLASHSTRIKE__SEM_STORAGE

#ifdef __cplusplus
}
#endif

#define FLASHSTRIKE_META_FLUSH_START_ENABLED()                                                     \
	__builtin_expect(flashstrike_meta_flush_start_semaphore != 0, 0)
#define FLASHSTRIKE_META_FLUSH_DONE_ENABLED()                                                      \
	__builtin_expect(flashstrike_meta_flush_done_semaphore != 0, 0)
#define FLASHSTRIKE_META_FLUSH_FAILED_ENABLED()                                                    \
	__builtin_expect(flashstrike_meta_flush_failed_semaphore != 0, 0)

#define FLASHSTRIKE_META_FLUSH_START(start_ns)                                                     \
	do {                                                                                       \
		if (FLASHSTRIKE_META_FLUSH_START_ENABLED())                                        \
			STAP_PROBE1(flashstrike, meta_flush_start, start_ns);                      \
	} while (0)
#define FLASHSTRIKE_META_FLUSH_DONE(start_ns, end_ns)                                              \
	do {                                                                                       \
		if (FLASHSTRIKE_META_FLUSH_DONE_ENABLED())                                         \
			STAP_PROBE2(flashstrike, meta_flush_done, start_ns, end_ns);               \
	} while (0)
#define FLASHSTRIKE_META_FLUSH_FAILED(start_ns, err)                                               \
	do {                                                                                       \
		if (FLASHSTRIKE_META_FLUSH_FAILED_ENABLED())                                       \
			STAP_PROBE2(flashstrike, meta_flush_failed, FLASHSTRIKE__U64(start_ns),    \
				    FLASHSTRIKE__I64(err));                                        \
	} while (0)

#endif

/* True when a tracer is attached to any of the probes. */
#define FLASHSTRIKE_META_FLUSH_ENABLED()                                                           \
	(FLASHSTRIKE_META_FLUSH_START_ENABLED() || FLASHSTRIKE_META_FLUSH_DONE_ENABLED() ||        \
	 FLASHSTRIKE_META_FLUSH_FAILED_ENABLED())

#endif /* FLASHSTRIKE_PROBES_H */
