// SPDX-License-Identifier: MIT
/*
 * slow.c - what the flush anatomy reports as it happens, from the run loop:
 * slow-flush records (--slow, from the BPF ring buffer), stuck flushes
 * (--stuck, from the in-flight table and a task iterator), and at the end
 * the --folded stacks.
 *
 * No periodic wake-up while nothing happens.  The BPF side submits records
 * without waking us; it wakes us (a small record, forced wake-up) only on
 * the first record or flush start after we went idle (the attn word).  Then
 * a one-shot timer drains the records every FL_DRAIN_NS and checks in-flight
 * flushes when the oldest can become stuck; once a tick finds nothing, attn
 * is cleared and everything checked once more before the timer stops.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/timerfd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "anatomy_priv.h"
#include "flushlat.skel.h"
#include "ksyms.h"
#include "msg.h"
#include "records.h"
#include "session.h"

#define FL_DRAIN_NS 100000000ULL /* records are printed at most 100 ms late */

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* CLOCK_REALTIME of a bpf_ktime_get_ns() (CLOCK_MONOTONIC) value. */
static uint64_t to_realtime(uint64_t mono)
{
	return mono + (clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC));
}

static void symbolise(const struct fl_anat *a, const __u64 *ips, size_t n, struct fl_rec_stack *st)
{
	st->n = 0;
	for (size_t i = 0; i < n && st->n < FL_REC_FRAMES && ips[i]; i++)
		st->frames[st->n++] = fl_ksyms_name(a->ks, ips[i]);
}

/* ---- --folded, slow flushes: blocked ns per (stack, component, call) ----- */

static void sfold_add(struct fl_anat *a, const struct fl_an_fold *f)
{
	for (size_t i = 0; i < a->nsfold; i++) {
		struct fl_fold_ent *e = &a->sfold[i];

		if (e->stackid == f->stackid && e->comp == f->comp && e->sys == f->sys) {
			e->ns += f->ns;
			return;
		}
	}
	if (a->nsfold == a->capsfold) {
		size_t cap = a->capsfold ? a->capsfold * 2 : 256;
		struct fl_fold_ent *n = realloc(a->sfold, cap * sizeof(*n));

		if (!n) {
			a->sfold_lost += f->ns;
			return;
		}
		a->sfold = n;
		a->capsfold = cap;
	}
	a->sfold[a->nsfold++] = (struct fl_fold_ent){ f->stackid, f->comp, f->sys, f->ns };
}

/* ---- slow records ------------------------------------------------------- */

static void slow_rec(struct fl_anat *a, const struct fl_an_event *ev, struct fl_slow_rec *r)
{
	const struct fl_an_res *x = &ev->r;

	memset(r, 0, sizeof(*r));
	r->time_ns = to_realtime(x->kend);
	r->pid = ev->tgid;
	r->tid = x->tid;
	r->done_tid = ev->done_tid;
	memcpy(r->comm, ev->comm, sizeof(r->comm));
	r->start_ns = ev->start_ns;
	r->duration_ns = ev->duration_ns;
	if (!(x->flags & FL_AN_F_ANATOMY))
		return;
	r->anatomy = 1;
	r->method = a->syscalls ? FL_SYSM_HOOKS : FL_SYSM_SWITCH;
	r->wall_ns = x->kend - x->kstart;
	for (int c = 0; c < FL_COMP_NR; c++)
		r->comp_ns[c] = x->d.comp[c];
	for (int i = 0; i < FL_SYS_NR; i++) {
		r->sys.sys_off_ns[i] = x->d.sys_off[i];
		r->sys.sys_blocked[i] = x->d.sys_blk[i];
		r->sys.sys_ns[i] = x->d.sys_ns[i];
		r->sys.sys_calls[i] = x->d.sys_cnt[i];
	}
	r->blocked_ns = x->max_blk;
	r->blocked_comp = (enum fl_comp)(x->max_comp & 3);
	r->blocked_sys = (enum fl_sys)(x->max_sys & 7);
	symbolise(a, ev->max_ips, ev->max_n / sizeof(__u64), &r->stack);
	r->cross = !!(x->flags & FL_AN_F_CROSS);
	r->retried = !!(x->flags & FL_AN_F_RETRY);
	r->raced = !!(x->flags & FL_AN_F_RACE);
	for (__u32 i = 0; i < ev->nfold && i < FL_AN_SPAN_FOLD; i++)
		sfold_add(a, &ev->fold[i]);
	if (x->d.fold_lost_ns)
		a->sfold_lost += x->d.fold_lost_ns;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct fl_anat *a = ctx;
	const struct fl_an_event *ev = data;
	struct fl_slow_rec r;

	if (size < sizeof(__u64) || ev->type != FL_AN_EV_SLOW || size < sizeof(*ev))
		return 0; /* a wake-up */
	a->consumed++;
	slow_rec(a, ev, &r);
	if (a->format == FL_FMT_JSON) {
		fl_slow_rec_json(&r, &a->pending);
	} else {
		if (!a->header_done)
			fl_slow_rec_header(r.anatomy, &a->pending);
		a->header_done = 1;
		fl_slow_rec_text(&r, &a->pending);
	}
	return 0;
}

/* Writes what the handlers rendered; records go where the snapshots go. */
static int flush_pending(struct fl_anat *a)
{
	FILE *out = a->t->out;

	if (!a->pending.len || a->werr)
		goto done;
	if (a->format == FL_FMT_PROMETHEUS)
		goto done; /* an exposition has no room for records: counted only */
	if (!out || a->pending.oom || fwrite(strbuf_str(&a->pending), 1, a->pending.len, out) !=
						  a->pending.len || fflush(out)) {
		fl_err("cannot write a record: %s",
			strerror(a->pending.oom ? ENOMEM : errno));
		a->werr = 1;
	}
done:
	strbuf_reset(&a->pending);
	return a->werr ? -1 : 0;
}

int fl_anat_open_ring(struct fl_anat *a)
{
	a->deadline = UINT64_MAX;
	if (!a->slow && !a->stuck)
		return 0;
	a->rb = ring_buffer__new(a->events_fd, on_record, a, NULL);
	if (!a->rb) {
		fl_err("cannot read the record ring buffer: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int fl_anat_ring_fd(const struct fl_anat *a)
{
	return a && a->rb ? ring_buffer__epoll_fd(a->rb) : -1;
}

int fl_anat_timer_fd(const struct fl_anat *a)
{
	return a ? a->timer_fd : -1;
}

/* ---- --stuck ------------------------------------------------------------ */

static char state_letter(uint32_t st)
{
	if (st & 0x0002)
		return (st & 0x0400) ? 'I' : 'D'; /* TASK_IDLE = UNINTERRUPTIBLE | NOLOAD */
	if (st & 0x0001)
		return 'S';
	if (st & 0x0004)
		return 'T';
	if (st & 0x0008)
		return 't';
	if (st & 0x0020)
		return 'Z';
	if (st & 0x0010)
		return 'X';
	return 'R';
}

struct stuck_slot {
	uint32_t idx, tgid, tid;
	uint64_t start_ns, age_ns;
};

/*
 * State and kernel stack of the threads, from the task iterator (created
 * from the link attached while privileged: no capability needed now).
 */
static void inspect(struct fl_anat *a, const struct stuck_slot *ss, size_t n,
		    struct fl_stuck_task *tasks, size_t *ntasks)
{
	struct fl_stuck_task buf;
	int fd;

	*ntasks = 0;
	a->skel->bss->stuck_n = 0;
	for (size_t i = 0; i < n && i < FL_STUCK_MAX; i++)
		a->skel->bss->stuck_tids[i] = ss[i].tid;
	a->skel->bss->stuck_n = (__u32)(n < FL_STUCK_MAX ? n : FL_STUCK_MAX);
	fd = bpf_iter_create(bpf_link__fd(a->iter));
	if (fd < 0)
		return;
	while (*ntasks < FL_STUCK_MAX && read(fd, &buf, sizeof(buf)) == (ssize_t)sizeof(buf))
		tasks[(*ntasks)++] = buf;
	close(fd);
}

static void stuck_rec(struct fl_anat *a, const struct stuck_slot *ss,
		      const struct fl_stuck_task *tasks, size_t ntasks, uint64_t now_rt)
{
	const struct fl_stuck_task *tk = NULL;
	struct fl_stuck_rec r;

	memset(&r, 0, sizeof(r));
	for (size_t i = 0; i < ntasks; i++)
		if (tasks[i].tid == ss->tid)
			tk = &tasks[i];
	r.time_ns = now_rt;
	r.pid = ss->tgid;
	r.tid = ss->tid;
	r.start_ns = ss->start_ns;
	r.age_ns = ss->age_ns;
	r.state = '?';
	if (tk) {
		r.state = state_letter(tk->state);
		r.on_cpu = tk->on_cpu != 0;
		r.iowait = tk->iowait != 0;
		memcpy(r.comm, tk->comm, sizeof(r.comm));
		if (tk->nbytes < 0)
			r.stack.err = (int)tk->nbytes;
		else
			symbolise(a, tk->ips, (size_t)tk->nbytes / sizeof(__u64), &r.stack);
	} else {
		r.stack.err = -ESRCH;
	}
	if (a->format == FL_FMT_JSON)
		fl_stuck_rec_json(&r, &a->pending);
	else
		fl_stuck_rec_text(&r, &a->pending);
}

/*
 * Reports every flush in flight for k * stuck_ns (k = 1, 2, ...) once per k.
 * Returns how many flushes are in flight and sets *next to the ktime of the
 * next report due (UINT64_MAX: none).
 */
static size_t stuck_check(struct fl_anat *a, uint64_t *next)
{
	const volatile struct fl_inflight_slot *slots = a->t->reader.slots;
	struct stuck_slot due[FL_STUCK_MAX];
	struct fl_stuck_task tasks[FL_STUCK_MAX];
	size_t inflight = 0, ndue = 0, ntasks;
	uint64_t now = clock_ns(CLOCK_MONOTONIC), T = a->stuck_ns;

	*next = UINT64_MAX;
	for (__u32 i = 0; slots && i < FL_INFLIGHT_SLOTS; i++) {
		uint64_t key = slots[i].start_ns, k0 = slots[i].kstart_ns, age, k, at;

		if (!key || !k0)
			continue;
		inflight++;
		if (a->stuck_key[i] != (key ^ k0)) { /* a new flush in this slot */
			a->stuck_key[i] = key ^ k0;
			a->stuck_k[i] = 0;
		}
		age = now > k0 ? now - k0 : 0;
		k = age / T;
		if (k > a->stuck_k[i] && ndue < FL_STUCK_MAX) {
			a->stuck_k[i] = (uint32_t)k;
			due[ndue++] = (struct stuck_slot){ i, slots[i].tgid, slots[i].tid, key, age };
		}
		at = k0 + (uint64_t)(a->stuck_k[i] + 1) * T;
		if (at < *next)
			*next = at;
	}
	if (!ndue)
		return inflight;
	inspect(a, due, ndue, tasks, &ntasks);
	for (size_t i = 0; i < ndue; i++)
		stuck_rec(a, &due[i], tasks, ntasks, to_realtime(now));
	return inflight;
}

/* ---- the timer ---------------------------------------------------------- */

static void set_timer(struct fl_anat *a, uint64_t at_mono)
{
	struct itimerspec its = { 0 };

	if (at_mono != UINT64_MAX) {
		its.it_value.tv_sec = (time_t)(at_mono / 1000000000ULL);
		its.it_value.tv_nsec = (long)(at_mono % 1000000000ULL);
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value.tv_nsec = 1;
	}
	/* absolute: a deadline in the past fires at once; 0 disarms */
	timerfd_settime(a->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
	a->deadline = at_mono;
}

static uint64_t min_u64(uint64_t x, uint64_t y)
{
	return x < y ? x : y;
}

/*
 * One look at everything: records, stuck flushes.  Returns whether anything
 * is going on; *next: when to look again.  While flushes are in flight or
 * records come, --slow records are drained every FL_DRAIN_NS (the BPF side
 * does not wake us while attn is set).
 */
static int look(struct fl_anat *a, uint64_t *next)
{
	size_t inflight = 0;

	a->consumed = 0;
	if (a->rb)
		ring_buffer__consume(a->rb);
	*next = UINT64_MAX;
	if (a->stuck)
		inflight = stuck_check(a, next);
	if (a->consumed || (a->slow && inflight))
		*next = min_u64(*next, clock_ns(CLOCK_MONOTONIC) + FL_DRAIN_NS);
	return a->consumed || inflight;
}

int fl_anat_on_timer(struct fl_session *t)
{
	struct fl_anat *a = t->anat;
	uint64_t exp, next;

	if (!a)
		return 0;
	while (read(a->timer_fd, &exp, sizeof(exp)) > 0)
		;
	if (!look(a, &next)) {
		/* idle: ask to be woken again, then make sure nothing slipped in between */
		__atomic_exchange_n(&a->skel->bss->attn, 0, __ATOMIC_SEQ_CST);
		look(a, &next);
	}
	set_timer(a, next);
	return flush_pending(a);
}

int fl_anat_on_ring(struct fl_session *t)
{
	struct fl_anat *a = t->anat;
	uint64_t next;

	if (!a || !a->rb)
		return 0;
	a->consumed = 0;
	ring_buffer__poll(a->rb, 0);
	next = clock_ns(CLOCK_MONOTONIC) + FL_DRAIN_NS;
	if (a->stuck) {
		uint64_t due;

		stuck_check(a, &due);
		next = min_u64(next, due);
	}
	/* woken: keep looking until a tick finds nothing */
	if (next < a->deadline)
		set_timer(a, next);
	return flush_pending(a);
}

/* ---- --folded ----------------------------------------------------------- */

/* One folded line: SET;COMP;SYSCALL;outermost;...;innermost NS (from __schedule out). */
static void fold_line(struct fl_anat *a, FILE *f, const char *set, int32_t stackid,
		      unsigned int comp, unsigned int sys, uint64_t ns)
{
	__u64 ips[FL_AN_STACK_DEPTH];
	int n = 0, start = 0;

	fprintf(f, "%s;%s;%s", set, fl_comp_names[comp & 3], fl_sys_names[sys & 7]);
	if (stackid >= 0 && !bpf_map_lookup_elem(a->stacks_fd, &stackid, ips)) {
		while (n < FL_AN_STACK_DEPTH && ips[n])
			n++;
		/* drop the BPF and tracepoint frames above the scheduler */
		for (int i = 0; i < n; i++) {
			if (!strcmp(fl_ksyms_name(a->ks, ips[i]), "__schedule")) {
				start = i;
				break;
			}
		}
		for (int i = n - 1; i >= start; i--)
			fprintf(f, ";%s", fl_ksyms_name(a->ks, ips[i]));
	} else {
		fprintf(f, ";[stack lost]");
	}
	fprintf(f, " %llu\n", (unsigned long long)ns);
}

static int write_folded(struct fl_anat *a)
{
	struct fl_an_fkey key, *prev = NULL, *keys = NULL;
	size_t n = 0, cap = 0;
	FILE *f = a->folded;
	int ret = 0;

	/* collect the keys first, then read (lesson: never walk and change) */
	while (!bpf_map_get_next_key(a->fold_fd, prev, &key)) {
		if (n == cap) {
			size_t c = cap ? cap * 2 : 1024;
			struct fl_an_fkey *k = realloc(keys, c * sizeof(*k));

			if (!k)
				break;
			keys = k;
			cap = c;
		}
		keys[n++] = key;
		prev = &keys[n - 1];
	}
	for (size_t i = 0; i < n; i++) {
		__u64 ns;

		if (!bpf_map_lookup_elem(a->fold_fd, &keys[i], &ns) && ns)
			fold_line(a, f, "all", keys[i].stackid, keys[i].comp, keys[i].sys, ns);
	}
	for (size_t i = 0; i < a->nsfold; i++)
		fold_line(a, f, "slow", a->sfold[i].stackid, a->sfold[i].comp, a->sfold[i].sys,
			  a->sfold[i].ns);
	free(keys);
	if (fflush(f) || ferror(f)) {
		fl_err("cannot write --folded %s: %s", a->t->o.folded,
			strerror(errno));
		ret = -1;
	}
	return ret;
}

int fl_anat_finish(struct fl_session *t)
{
	struct fl_anat *a = t->anat;
	int ret;

	if (!a)
		return 0;
	if (a->rb) {
		a->consumed = 0;
		ring_buffer__consume(a->rb);
	}
	ret = flush_pending(a);
	if (a->folded && write_folded(a))
		ret = -1;
	return ret;
}
