// SPDX-License-Identifier: MIT
/*
 * heatmap_cmd.c - `flushlat heatmap [-o FILE.svg] [--title TEXT] RUN.json`.
 *
 * RUN.json is a --interval --format json file (--delta or cumulative), with
 * or without slow-flush records.  The SVG goes to FILE.svg (written whole or
 * not at all) or to stdout.
 *
 * Exit status: 0 ok; 1 the SVG could not be written; 2 usage error, an
 * unreadable or invalid file, or fewer than two snapshots.
 */
#define _GNU_SOURCE /* mkostemp */
#include "heatmap_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exitcodes.h"
#include "heatmap.h"
#include "snapshot_read.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: flushlat heatmap [-o FILE.svg] [--title TEXT] RUN.json\n"
"\n"
"Draw a latency heat map of RUN.json, a file written with --interval\n"
"--format json (best with --delta): x = time, y = latency (log scale),\n"
"colour = flushes per cell; slow-flush records in the file are drawn as\n"
"circles.  One self-contained SVG (no script, nothing external).\n"
"\n"
"  -o, --output FILE    write the SVG to FILE (default: stdout)\n"
"      --title TEXT     the picture's title (default: flush latency heat map)\n"
"  -h, --help           this help\n"
"\n"
"Exit status: 0 ok, 1 the SVG cannot be written, 2 usage error, unreadable\n"
"file or fewer than two snapshots.\n");
}

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "flushlat heatmap: %s%s%s (see flushlat heatmap --help)\n", msg,
		arg ? ": " : "", arg ? arg : "");
	return FL_EXIT_USAGE;
}

/* The whole SVG to path via a temporary file and rename: never half a picture. */
static int write_file(const char *path, const struct strbuf *sb)
{
	size_t n = strlen(path) + 16;
	char *tmp = malloc(n);
	mode_t mask;
	FILE *f = NULL;
	int fd, err;

	if (!tmp)
		return -1;
	snprintf(tmp, n, "%s.tmpXXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		free(tmp);
		return -1;
	}
	/* mkstemp creates 0600: give the picture the mode any new file gets */
	mask = umask(0);
	umask(mask);
	err = fchmod(fd, 0666 & ~mask) != 0;
	if (!err)
		f = fdopen(fd, "w");
	if (!f) {
		err = 1;
		close(fd);
	} else {
		err |= fwrite(strbuf_str(sb), 1, sb->len, f) != sb->len;
		err |= fclose(f) != 0;
	}
	if (!err)
		err = rename(tmp, path) != 0;
	if (err) {
		int e = errno;

		unlink(tmp);
		errno = e;
	}
	free(tmp);
	return err ? -1 : 0;
}

int fl_cmd_heatmap(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "title", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fl_heat_opts o = { .standalone = 1 };
	const char *out = NULL;
	struct fl_heat h;
	struct strbuf sb;
	char err[512];
	int c, ret = FL_EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!*optarg)
				return usage_error("empty --output", NULL);
			out = optarg;
			break;
		case 't':
			o.title = optarg;
			break;
		case 'h':
			usage(stdout);
			return fflush(stdout) || ferror(stdout) ? FL_EXIT_RUNTIME : FL_EXIT_OK;
		default:
			return usage_error("unknown or incomplete option", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return usage_error("expected exactly one RUN.json", NULL);
	fl_heat_init(&h);
	if (fl_json_file_read(argv[optind], fl_heat_add_record, &h, err, sizeof(err))) {
		fprintf(stderr, "flushlat heatmap: %s\n", err);
		fl_heat_free(&h);
		return FL_EXIT_USAGE;
	}
	if (h.niv < 2) {
		fprintf(stderr, "flushlat heatmap: %s: %zu snapshot%s, at least 2 needed "
			"(write it with --interval)\n", argv[optind], h.niv, h.niv == 1 ? "" : "s");
		fl_heat_free(&h);
		return FL_EXIT_USAGE;
	}
	strbuf_init(&sb);
	fl_heatmap_svg(&h, &o, &sb);
	if (sb.oom) {
		fprintf(stderr, "flushlat heatmap: out of memory\n");
		ret = FL_EXIT_RUNTIME;
	} else if (out && write_file(out, &sb)) {
		fprintf(stderr, "flushlat heatmap: cannot write %s: %s\n", out, strerror(errno));
		ret = FL_EXIT_RUNTIME;
	} else if (!out && (fwrite(strbuf_str(&sb), 1, sb.len, stdout) != sb.len ||
			    fflush(stdout) || ferror(stdout))) {
		fprintf(stderr, "flushlat heatmap: cannot write the output\n");
		ret = FL_EXIT_RUNTIME;
	}
	strbuf_free(&sb);
	fl_heat_free(&h);
	return ret;
}
