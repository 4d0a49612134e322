/* SPDX-License-Identifier: MIT */
/* Subcommands on saved JSON snapshots: `flushlat report`, `flushlat diff`. */
#ifndef FLUSHLAT_REPORT_H
#define FLUSHLAT_REPORT_H

/* `report --format` takes the formats of fl_format_names and this one. */
extern const char fl_report_html_format[];

/* argv[0] is "report" / "diff"; return the process exit status. */
int fl_cmd_report(int argc, char **argv);
int fl_cmd_diff(int argc, char **argv);

#endif /* FLUSHLAT_REPORT_H */
