/* SPDX-License-Identifier: MIT */
/* term.h - the terminal flushlat writes to: its size, and the live view's screen. */
#ifndef FLUSHLAT_TERM_H
#define FLUSHLAT_TERM_H

/* Columns of the terminal fd is, 0 when fd is not a terminal (TIOCGWINSZ). */
int fl_term_cols(int fd);
/* Its columns and rows; -1 when fd is not a terminal. */
int fl_term_size(int fd, int *cols, int *rows);
/* The locale's character set is UTF-8 (LC_ALL, LC_CTYPE, LANG): block characters can be drawn. */
int fl_term_utf8(void);
/* Writes all of buf to fd (retrying short writes and EINTR); 0 or -1 with errno. */
int fl_term_write(int fd, const char *buf, unsigned long len);
/* The alternate screen with the cursor hidden, and back (idempotent sequences). */
int fl_term_enter(int fd);
int fl_term_leave(int fd);

#endif /* FLUSHLAT_TERM_H */
