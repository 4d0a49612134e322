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
/*
 * For sessions that attach again while running (-b and --lib follow their
 * paths across deploys): keeps CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON and
 * CAP_SYS_PTRACE (those it has) in the permitted set only, drops everything
 * else and sets no_new_privs.  The effective set is empty except between
 * fl_caps_raise() and fl_caps_lower().  Per thread: threads created later
 * inherit the permitted set (start them from a thread that dropped all).
 * 0 or -errno.
 */
int fl_caps_keep_for_attach(void);
int fl_caps_raise(void);
void fl_caps_lower(void);
#endif /* FLUSHLAT_CAPS_H */
