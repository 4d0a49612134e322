/* SPDX-License-Identifier: MIT */
/*
 * anatomy.h - the flush anatomy's life in the tracer: configure the BPF
 * object before it loads (--breakdown, --syscalls, --slow, --top, --stuck,
 * --folded), attach the scheduler and system-call hooks before the probes,
 * read the anatomy maps into a snapshot, and (slow.c) deliver the slow and
 * stuck records between snapshots.
 *
 * Everything stays off, and the default object loads exactly its two USDT
 * programs, unless one of the options asks for it.
 */
#ifndef FLUSHLAT_ANATOMY_H
#define FLUSHLAT_ANATOMY_H

#include <stddef.h>
#include <stdint.h>

#include "flushlat.h"

struct fl_session;
struct fl_snapshot;
struct fl_anat;

/* Any anatomy option given? */
int fl_anat_wanted(const struct fl_session *t);
/* Kernel BTF is needed (--breakdown, --stuck): one message and -1 if it is missing. */
int fl_anat_check_btf(const struct fl_session *t);
/*
 * Without kernel BTF (and none of the options that need it), libbpf would
 * still refuse the object: the anatomy code in the probe programs carries
 * CO-RE relocations, dead in the default mode but present.  Then this writes
 * an empty BTF to a memfd for bpf_object_open_opts.btf_custom_path: the dead
 * code's relocations are poisoned, the verifier removes it.  Returns the
 * memfd (close it after load) with its path in path, or -1 when the kernel
 * has BTF.
 */
int fl_anat_btf_fallback(char *path, size_t len);
/* Before load: read-only flags, programs to load, map sizes.  Never fails. */
void fl_anat_configure(struct fl_session *t);
/*
 * After load, while still privileged: the map views, /proc/kallsyms, the
 * ring buffer and the timer.  0, or -1 with one message.
 */
int fl_anat_open(struct fl_session *t);
/* The scheduler/system-call hooks and the task iterator: before the probes. */
int fl_anat_attach(struct fl_session *t);
/* Once the run has started (like --output): the --folded file.  0 or -1. */
int fl_anat_open_files(struct fl_session *t);
void fl_anat_detach(struct fl_anat *a);
void fl_anat_close(struct fl_anat *a);
/* The anatomy's BPF programs that are loaded (for --bpf-stats): fills up to max. */
int fl_anat_progs(const struct fl_anat *a, int *fds, const char **names, int max);

/*
 * Reads the anatomy maps into s->an (allocated).  slots: the in-flight
 * table (for the --stuck count).  Called under the reader's lock.  0 or
 * -errno.
 */
int fl_anat_read(struct fl_anat *a, const volatile struct fl_inflight_slot *slots,
		 struct fl_snapshot *s);
/* The in-flight slot idx (key, tid) of exited process tgid is being freed: close its span. */
void fl_anat_slot_gone(struct fl_anat *a, uint32_t idx, uint32_t tgid, uint32_t tid, uint64_t key);

/* slow.c: records, the stuck watch and --folded, from the run loop. */
/* The fds the loop polls: the ring buffer (-1: none) and the drain/watch timer (-1: none). */
int fl_anat_ring_fd(const struct fl_anat *a);
int fl_anat_timer_fd(const struct fl_anat *a);
/* The ring buffer woke us up / the timer fired.  0, or -1 after a write error. */
int fl_anat_on_ring(struct fl_session *t);
int fl_anat_on_timer(struct fl_session *t);
/* End of the run: the last records, then the --folded file.  0 or -1 (message). */
int fl_anat_finish(struct fl_session *t);

#endif /* FLUSHLAT_ANATOMY_H */
