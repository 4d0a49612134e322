/* SPDX-License-Identifier: MIT */
/* exitcodes.h - flushlat's exit statuses, named once (README: EXIT STATUS). */
#ifndef FLUSHLAT_EXITCODES_H
#define FLUSHLAT_EXITCODES_H

#define FL_EXIT_OK 0
#define FL_EXIT_RUNTIME 1   /* attach, privileges, target, I/O */
#define FL_EXIT_USAGE 2     /* a bad flag, value or input file */
#define FL_EXIT_THRESHOLD 3 /* a --fail-if condition held */

#endif /* FLUSHLAT_EXITCODES_H */
