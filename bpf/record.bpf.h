/* SPDX-License-Identifier: GPL-2.0 */
/*
 * record.bpf.h - the record path of a completed flush: the MetaStore and
 * the log-linear histogram, and with --listen a native (exponential)
 * histogram and one exemplar per log-linear bucket, all written into the
 * slot of the current epoch.  Included by flushlat.bpf.c after the helpers
 * it uses (count(), record_into(), update_max's CAS_TRIES).
 *
 * Epochs (only when user space asks: --delta, --watch, --listen).  User space
 * flips `epoch`, waits until no update of the old slot is in progress, then
 * reads and resets that slot.  Why no update is lost or torn:
 *
 *   program: e = epoch; busy[e&1] += 1 (fully ordered); if (epoch != e) undo, retry;
 *            write slot e&1; busy[e&1] -= 1 (fully ordered)
 *   flip:    epoch = e+1; full barrier; wait until every busy[e&1] == 0
 *
 * This is the store-buffering (Dekker) pattern with a full barrier on each
 * side: the program's increment and the flip's store cannot both be missed
 * by the other side's following load.  So either the program re-reads the
 * new epoch and backs off (it never touches the old slot), or the flip sees
 * its increment and waits for the decrement, which is ordered after all of
 * the program's writes to the slot.  Epoch values are compared whole (64
 * bits), so a program preempted across two flips still backs off.  A
 * fetching atomic (BPF_FETCH, used return value) is fully ordered in the
 * BPF memory model (LKMM atomic_fetch_add; x86 lock xadd); a plain
 * BPF_ADD is not, hence atomic_mb() below.
 *
 * Without epochs every update goes to slot 0, which then is the cumulative
 * total, as before, and the in-progress counts are never touched: the
 * verifier removes that code (epochs_on is read-only data).
 */
#ifndef FLUSHLAT_RECORD_BPF_H
#define FLUSHLAT_RECORD_BPF_H

#define EPOCH_TRIES 8

const volatile bool epochs_on = false;
/*
 * native histogram: on, table size (2^nh_steps thresholds), where each power
 * of two of ns starts in it and the search steps from there, counters per
 * chunk, the top threshold
 */
const volatile bool native_on = false;
const volatile __u32 nh_steps = 0;
const volatile __u32 nh_oct[64];
const volatile __u32 nh_oct_bits = 0;
const volatile __u32 nh_chunk_bits = 0;
const volatile __u32 nh_nchunks = 1;
const volatile __u64 nh_top_ns = 0; /* the last threshold: larger values count there */
const volatile bool exemplars_on = false;

/* Written by user space through the skeleton's mmap of .bss. */
__u64 epoch;
__u64 epoch_busy[FL_EPOCH_PINS * FL_EPOCH_PIN_STRIDE] __attribute__((aligned(64)));

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FL_EPOCH_SLOTS);
	__type(key, __u32);
	__type(value, struct metastore);
} metastore SEC(".maps");

struct hist {
	__u64 b[FL_HIST_NBUCKETS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FL_EPOCH_SLOTS);
	__type(key, __u32);
	__type(value, struct hist);
} hist SEC(".maps");

/*
 * Sized by user space before load (no BTF value type, so the size can be
 * set): the native thresholds (8 << nh_steps bytes), the native counts
 * (chunks of 8 << nh_chunk_bits bytes) and the exemplars (FL_HIST_NBUCKETS
 * records).  Left at one u64 when off.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u64));
	__uint(map_flags, BPF_F_RDONLY_PROG);
} nh_thr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FL_EPOCH_SLOTS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u64));
} nh_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FL_EPOCH_SLOTS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u64));
} exemplars SEC(".maps");

/* A fully ordered atomic add: the return value is used, so clang emits BPF_FETCH. */
static __always_inline void atomic_add_mb(__u64 *p, __u64 v)
{
	__u64 old = __sync_fetch_and_add(p, v);

	asm volatile("" : : "r"(old) : "memory");
}

/* Claims the current epoch's slot; -1 (counted) if the epoch kept moving. */
static __always_inline int epoch_enter(__u32 *pin, __u32 *slot)
{
	__u32 p = bpf_get_smp_processor_id() & (FL_EPOCH_PINS - 1);

	for (int i = 0; i < EPOCH_TRIES; i++) {
		__u64 e = *(volatile __u64 *)&epoch;
		__u32 s = e & 1;

		atomic_add_mb(&epoch_busy[p * FL_EPOCH_PIN_STRIDE + s], 1);
		if (*(volatile __u64 *)&epoch == e) {
			*pin = p;
			*slot = s;
			return 0;
		}
		atomic_add_mb(&epoch_busy[p * FL_EPOCH_PIN_STRIDE + s], -1);
	}
	count(FL_CNT_EPOCH_GIVEUP);
	return -1;
}

static __always_inline void epoch_exit(__u32 pin, __u32 slot)
{
	atomic_add_mb(&epoch_busy[(pin & (FL_EPOCH_PINS - 1)) * FL_EPOCH_PIN_STRIDE + (slot & 1)], -1);
}

/*
 * Position of the first threshold >= v (v clamped to the top): v's power of
 * two says where its bucket's threshold can start (nh_oct), then a
 * branch-free binary search over 2^nh_oct_bits positions, so the verifier
 * walks one path and only a few cache lines of the table are read: each
 * step adds 2^i when T[pos + 2^i - 1] < v, tested as the sign of T - v (both
 * below 2^63).
 */
static __always_inline __u32 nh_position(const __u64 *t, __u64 v)
{
	__u32 pos;

	if (v > nh_top_ns)
		v = nh_top_ns;
	pos = nh_oct[fl_log2_u64(v) & 63];
#pragma unroll
	for (int i = FL_NATIVE_OCT_BITS_MAX - 1; i >= 0; i--) {
		__u32 k;

		if ((__u32)i >= nh_oct_bits)
			continue;
		k = (pos + (1U << i) - 1) & ((1U << nh_steps) - 1);
		pos += (__u32)((t[k] - v) >> 63) << i;
	}
	return pos;
}

static __always_inline void native_record(__u32 slot, __u64 v)
{
	__u32 zero = 0, idx = 0, key;
	const __u64 *t;
	__u64 *c;

	if (v) {
		t = bpf_map_lookup_elem(&nh_thr, &zero);
		if (!t)
			return;
		idx = 1 + nh_position(t, v);
	}
	key = slot * nh_nchunks + (idx >> nh_chunk_bits);
	c = bpf_map_lookup_elem(&nh_counts, &key);
	if (c)
		__sync_fetch_and_add(&c[idx & ((1U << nh_chunk_bits) - 1)], 1);
}

/* The slowest flush of this bucket in this epoch (see struct fl_ex_rec). */
static __always_inline void exemplar_record(__u32 slot, __u32 b, __u64 id, __u64 d)
{
	struct fl_ex_rec *r = bpf_map_lookup_elem(&exemplars, &slot);
	__u64 t;
	int i;

	if (!r || b >= FL_HIST_NBUCKETS)
		return;
	r += b;
	for (i = 0; i < CAS_TRIES; i++) {
		__u64 cur = *(volatile __u64 *)&r->dur_ns;

		if (d <= cur)
			return;
		if (__sync_val_compare_and_swap(&r->dur_ns, cur, d) == cur)
			break;
	}
	if (i == CAS_TRIES)
		return; /* a slower one keeps winning: it is the exemplar */
	t = bpf_ktime_get_ns();
	r->id = id;
	r->ktime_ns = t;
	r->chk = fl_ex_chk(d, id, t);
}

/* One completed flush of thread id (tgid << 32 | tid), d ns long. */
static __always_inline void record_flush(__u64 id, __u64 d)
{
	__u32 slot = 0, pin = 0, b = fl_hist_bucket(d);
	struct metastore *ms;
	struct hist *h;

	if (epochs_on && epoch_enter(&pin, &slot))
		return;
	ms = bpf_map_lookup_elem(&metastore, &slot);
	if (ms)
		record_into(ms, d);
	h = bpf_map_lookup_elem(&hist, &slot);
	if (h && b < FL_HIST_NBUCKETS)
		__sync_fetch_and_add(&h->b[b], 1);
	if (native_on)
		native_record(slot, d);
	if (exemplars_on)
		exemplar_record(slot, b, id, d);
	if (epochs_on)
		epoch_exit(pin, slot);
}

#endif /* FLUSHLAT_RECORD_BPF_H */
