// SPDX-License-Identifier: MIT
/* caps.c - capability check and drop (raw capget/capset: no libcap needed). */
#include "caps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/perf_event.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static int get_caps(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	memset(d, 0, 2 * sizeof(*d));
	return (int)syscall(SYS_capget, &h, d);
}

static int has(const struct __user_cap_data_struct d[2], int cap)
{
	return !!(d[cap / 32].effective & (1u << (cap % 32)));
}

/*
 * Asks the kernel itself whether we may create a uprobe: perf_event_open on
 * the uprobe PMU checks the privilege (CAP_SYS_ADMIN since the fix for
 * CVE-2025-38466; CAP_PERFMON on some kernels before it) before it looks at
 * the file, and the file given here is "/", which it then refuses (EINVAL):
 * no probe is ever created.  1 allowed, 0 denied, -1 cannot tell (no uprobe
 * PMU: the attach will say what is wrong).
 */
static int uprobe_allowed(void)
{
	struct perf_event_attr a;
	char buf[32] = "";
	FILE *f = fopen("/sys/bus/event_source/devices/uprobe/type", "re");
	int type, fd;

	if (!f)
		return -1;
	type = fgets(buf, sizeof(buf), f) ? atoi(buf) : -1;
	fclose(f);
	if (type <= 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = (__u32)type;
	a.disabled = 1;
	a.uprobe_path = (__u64)(unsigned long)"/";
	fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd >= 0) { /* cannot happen for "/"; allowed anyway */
		close(fd);
		return 1;
	}
	return errno == EACCES || errno == EPERM ? 0 : 1;
}

int fl_caps_check(char *msg, size_t len)
{
	struct __user_cap_data_struct d[2];

	if (get_caps(d)) {
		snprintf(msg, len, "cannot read capabilities: %s", strerror(errno));
		return -1;
	}
	if (uprobe_allowed() == 0) {
		snprintf(msg, len, "missing capabilities: CAP_SYS_ADMIN (this kernel requires it to "
				   "attach uprobes%s); run as root",
			 has(d, CAP_BPF) && has(d, CAP_PERFMON) ? "; CAP_BPF and CAP_PERFMON are not enough" :
								  "");
		return -1;
	}
	if (has(d, CAP_SYS_ADMIN) || (has(d, CAP_BPF) && has(d, CAP_PERFMON)))
		return 0;
	snprintf(msg, len, "missing capabilities:%s%s (or CAP_SYS_ADMIN); run as root",
		 has(d, CAP_BPF) ? "" : " CAP_BPF", has(d, CAP_PERFMON) ? "" : " CAP_PERFMON");
	return -1;
}

int fl_caps_drop_all(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (syscall(SYS_capset, &h, d))
		return -errno;
	return 0;
}

/* What a session that attaches again later (-b, --lib: deploys) keeps permitted. */
static const int keep[] = { CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE };

static int set_caps(int effective)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (get_caps(d))
		return -errno;
	for (int i = 0; i < 2; i++) {
		__u32 want = 0;

		for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++)
			if (keep[k] / 32 == i)
				want |= 1u << (keep[k] % 32);
		d[i].permitted &= want;
		d[i].effective = effective ? d[i].permitted : 0;
		d[i].inheritable = 0; /* and so no ambient capability either */
	}
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

int fl_caps_keep_for_attach(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return set_caps(0);
}

int fl_caps_raise(void)
{
	return set_caps(1);
}

void fl_caps_lower(void)
{
	set_caps(0);
}
