// SPDX-License-Identifier: MIT
/* caps.c - capability check and drop (raw capget/capset: no libcap needed). */
#include "caps.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
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

int fl_caps_check(char *msg, size_t len)
{
	struct __user_cap_data_struct d[2];

	if (get_caps(d)) {
		snprintf(msg, len, "cannot read capabilities: %s", strerror(errno));
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
