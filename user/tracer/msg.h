/* SPDX-License-Identifier: MIT */
/* msg.h - the tracer's messages: one printable line each, prefixed "flushlat: ". */
#ifndef FLUSHLAT_MSG_H
#define FLUSHLAT_MSG_H

/*
 * Prints "flushlat: MESSAGE\n" on stderr.  What the message quotes (a path,
 * a value) may come from a hostile user or file: control characters and
 * invalid UTF-8 are shown as '?', so it stays one line and cannot drive the
 * terminal.
 */
void fl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* FLUSHLAT_MSG_H */
