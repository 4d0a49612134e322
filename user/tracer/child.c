// SPDX-License-Identifier: MIT
/* child.c - `flushlat -- CMD`: resolve, fork stopped, release, reap. */
#define _GNU_SOURCE
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"

static int executable_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode) && !access(path, X_OK);
}

int fl_child_resolve(const char *cmd, char *exe, char *err, size_t errlen)
{
	const char *path = getenv("PATH");

	if (!*cmd) {
		snprintf(err, errlen, "empty command after --");
		return -1;
	}
	if (strchr(cmd, '/')) {
		snprintf(exe, PATH_MAX, "%s", cmd);
		if (executable_file(exe))
			return 0;
		snprintf(err, errlen, "command not found or not an executable file: %s", cmd);
		return -1;
	}
	for (const char *p = path ? path : "/usr/local/bin:/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");

		if (snprintf(exe, PATH_MAX, "%.*s/%s", (int)n, n ? p : ".", cmd) <
			    PATH_MAX &&
		    executable_file(exe))
			return 0;
		p += n + (p[n] == ':');
	}
	snprintf(err, errlen, "command not found or not an executable file: %s", cmd);
	return -1;
}

/* In the child: wait for the go byte, then become CMD. */
static void __attribute__((noreturn)) child_main(int go, pid_t parent, const char *exe,
						 char **argv)
{
	char b;

	/* As a last resort CMD dies with flushlat (killed with SIGKILL, say). */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
	/* EOF without a byte: the tracer failed to attach; do not run. */
	if (read(go, &b, 1) != 1)
		_exit(127);
	close(go);
	execv(exe, argv);
	fprintf(stderr, "flushlat: exec %s: %s\n", exe, strerror(errno));
	_exit(127);
}

int fl_child_fork(struct fl_child *c, const char *exe, char **argv, char *err, size_t errlen)
{
	pid_t parent = getpid();
	sigset_t all, old;
	int fds[2];

	if (pipe2(fds, O_CLOEXEC)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	/* The child starts with every signal blocked and its handlers reset. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	c->pid = fork();
	if (c->pid == 0) {
		/* default dispositions, nothing blocked (flushlat blocks its signals) */
		for (int sig = 1; sig < NSIG; sig++)
			signal(sig, SIG_DFL);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		close(fds[1]);
		child_main(fds[0], parent, exe, argv);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(fds[0]);
	if (c->pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(fds[1]);
		c->pid = 0;
		return -1;
	}
	c->go_fd = fds[1];
	c->pidfd = fl_pidfd_open(c->pid);
	return 0;
}

int fl_child_release(struct fl_child *c)
{
	int ok = write(c->go_fd, "x", 1) == 1;

	close(c->go_fd);
	c->go_fd = -1;
	return ok ? 0 : -1;
}

void fl_child_signal(struct fl_child *c, int sig)
{
	if (!c->pid || c->done)
		return;
	if (sig > 0 && sig < (int)(8 * sizeof(c->sent)))
		c->sent |= 1UL << sig;
	kill(c->pid, sig);
}

int fl_child_stopped_by_us(const struct fl_child *c)
{
	int code = fl_child_exit_code(c), sig = code - 128;

	/* killed by the signal, or a shell's "exit 128+N" after handling it */
	return sig > 0 && sig < (int)(8 * sizeof(c->sent)) && (c->sent & (1UL << sig));
}

int fl_child_reap(struct fl_child *c, int block)
{
	pid_t r;

	if (!c->pid || c->done)
		return 1;
	do
		r = waitpid(c->pid, &c->status, block ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == c->pid || (r < 0 && errno == ECHILD))
		c->done = 1;
	return c->done;
}

int fl_child_exit_code(const struct fl_child *c)
{
	if (!c->done)
		return 0;
	if (WIFSIGNALED(c->status))
		return 128 + WTERMSIG(c->status);
	return WEXITSTATUS(c->status);
}

void fl_child_cleanup(struct fl_child *c)
{
	if (c->go_fd >= 0) {
		close(c->go_fd); /* never released: it exits 127 without running CMD */
		c->go_fd = -1;
	}
	fl_child_reap(c, 1);
	if (c->pidfd >= 0) {
		close(c->pidfd);
		c->pidfd = -1;
	}
}
