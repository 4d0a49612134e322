/* SPDX-License-Identifier: MIT */
/*
 * promtool as the output tests' judge of an exposition: `promtool check
 * metrics` on a temporary file.  A missing promtool fails the test (CMake
 * finds it REQUIRED and passes its path as PROMTOOL); it never skips.
 */
#ifndef FLUSHLAT_TEST_PROMCHECK_H
#define FLUSHLAT_TEST_PROMCHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PROMTOOL
#define PROMTOOL "promtool"
#endif

/* Runs promtool on the exposition; returns its exit status, its output in msg. */
static int promtool_check(const char *exposition, char *msg, size_t msglen)
{
	char path[] = "/tmp/flushlat_promtool_XXXXXX", cmd[512];
	size_t len = strlen(exposition), n;
	FILE *p;
	int fd, st;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, exposition, len), (ssize_t)len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "'%s' check metrics < '%s' 2>&1", PROMTOOL, path);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(msg, 1, msglen - 1, p);
	msg[n] = '\0';
	st = pclose(p);
	unlink(path);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

#endif /* FLUSHLAT_TEST_PROMCHECK_H */
