// SPDX-License-Identifier: MIT
/*
 * term.c - the terminal: size, character set, and the alternate screen of
 * --watch.  Only standard xterm/VT sequences (every terminal emulator, tmux
 * and screen know them): 1049 switches to the alternate screen and back,
 * 25 hides and shows the cursor.
 */
#define _GNU_SOURCE /* strcasestr */
#include "term.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int fl_term_size(int fd, int *cols, int *rows)
{
	struct winsize ws;

	if (!isatty(fd) || ioctl(fd, TIOCGWINSZ, &ws) || !ws.ws_col)
		return -1;
	*cols = ws.ws_col;
	*rows = ws.ws_row ? ws.ws_row : 24;
	return 0;
}

int fl_term_cols(int fd)
{
	int cols, rows;

	return fl_term_size(fd, &cols, &rows) ? 0 : cols;
}

/* The character set the locale environment names (what setlocale() would pick),
 * read without setlocale(): it is not thread-safe and the HTTP thread may run. */
int fl_term_utf8(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_CTYPE", "LANG" };

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		if (v && *v)
			return strcasestr(v, "utf-8") || strcasestr(v, "utf8");
	}
	return 0;
}

int fl_term_write(int fd, const char *buf, unsigned long len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (unsigned long)n;
	}
	return 0;
}

int fl_term_enter(int fd)
{
	static const char seq[] = "\033[?1049h\033[?25l\033[H\033[2J";

	return fl_term_write(fd, seq, sizeof(seq) - 1);
}

int fl_term_leave(int fd)
{
	static const char seq[] = "\033[?25h\033[?1049l";

	return fl_term_write(fd, seq, sizeof(seq) - 1);
}
