/* SPDX-License-Identifier: MIT */
/* proc.h - process helpers: liveness and pidfds. */
#ifndef FLUSHLAT_PROC_H
#define FLUSHLAT_PROC_H

#include <sys/types.h>

/*
 * The process has exited: it no longer exists, or it is a zombie whose
 * parent has not reaped it yet (no thread left, no mapping, no flush can
 * follow).  EPERM from kill() means it lives.
 */
int fl_proc_exited(pid_t pid);
/* A pidfd (readable once pid exits, zombie included), or -1 with errno. */
int fl_pidfd_open(pid_t pid);

#endif /* FLUSHLAT_PROC_H */
