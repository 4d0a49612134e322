/* SPDX-License-Identifier: MIT */
/* `flushlat heatmap`: a --interval JSON file drawn as a latency heat map (SVG). */
#ifndef FLUSHLAT_HEATMAP_CMD_H
#define FLUSHLAT_HEATMAP_CMD_H

/* argv[0] is "heatmap"; returns the process exit status. */
int fl_cmd_heatmap(int argc, char **argv);

#endif /* FLUSHLAT_HEATMAP_CMD_H */
