// SPDX-License-Identifier: MIT
/* proc.c - process helpers. */
#define _GNU_SOURCE
#include "proc.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int fl_proc_exited(pid_t pid)
{
	char path[64], buf[256], *p;
	size_t n;
	FILE *f;
	int zombie = 0;

	if (kill(pid, 0) && errno == ESRCH)
		return 1;
	/* /proc/PID/stat: "pid (comm) S ..."; comm may hold ')' or '\n' itself */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = memrchr(buf, ')', n > 64 ? 64 : n); /* within "pid (" + 16 bytes of comm */
	if (p && p[1] == ' ')
		zombie = p[2] == 'Z' || p[2] == 'X';
	return zombie;
}

int fl_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}
