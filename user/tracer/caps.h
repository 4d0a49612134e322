/* SPDX-License-Identifier: MIT */
/* caps.h - the capabilities the tracer needs, checked up front, dropped after attach. */
#ifndef FLUSHLAT_CAPS_H
#define FLUSHLAT_CAPS_H

#include <stddef.h>

/*
 * 0 when the effective set allows loading and attaching (CAP_BPF and
 * CAP_PERFMON, or CAP_SYS_ADMIN); else -1 with the missing ones named in msg.
 */
int fl_caps_check(char *msg, size_t len);
/*
 * Drops every capability (effective, permitted, inheritable) and sets
 * no_new_privs.  Map and program fds keep working: the kernel checks
 * privileges when an fd is created, not when it is used.  0 or -errno.
 */
int fl_caps_drop_all(void);
#endif /* FLUSHLAT_CAPS_H */
