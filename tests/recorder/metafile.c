// SPDX-License-Identifier: MIT
/*
 * metafile.c - write and read back the WAL metadata record (see metafile.h).
 * No probes here: the probe-carrying code is all in coordinator.c.
 */
#include "metafile.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The record is stored in host order; say so loudly on a big-endian host. */
_Static_assert(__BYTE_ORDER == __LITTLE_ENDIAN, "metafile records are little-endian");

uint32_t metafile_crc32(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint32_t crc = 0xffffffffu;

	/* Bitwise CRC-32: 48 bytes per flush do not deserve a table. */
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1u));
	}
	return ~crc;
}

void metafile_seal(struct metafile_record *rec)
{
	rec->magic = METAFILE_MAGIC;
	rec->version = METAFILE_VERSION;
	rec->size = sizeof(*rec);
	rec->reserved = 0;
	rec->crc32 = metafile_crc32(rec, offsetof(struct metafile_record, crc32));
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int metafile_write(int dirfd, const struct metafile_record *rec, bool sync)
{
	int fd, err;

	fd = openat(dirfd, METAFILE_TMP_NAME, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	err = write_all(fd, rec, sizeof(*rec));
	/* Data must be durable before the rename makes it the current record. */
	if (!err && sync && fdatasync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (err)
		return err;
	if (renameat(dirfd, METAFILE_TMP_NAME, dirfd, METAFILE_NAME))
		return -errno;
	/* The rename itself is only durable once the directory is. */
	if (sync && fsync(dirfd))
		return -errno;
	return 0;
}

static int invalid(char *why, size_t whylen, const char *reason)
{
	snprintf(why, whylen, "%s", reason);
	return -EINVAL;
}

int metafile_read(const char *path, struct metafile_record *rec, char *why, size_t whylen)
{
	unsigned char buf[sizeof(*rec) + 1];
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = -errno;

		snprintf(why, whylen, "%s", strerror(-err));
		return err;
	}
	/* Read one byte more than a record so that a longer file is caught. */
	while (got < sizeof(buf)) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			close(fd);
			snprintf(why, whylen, "read: %s", strerror(-err));
			return err;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != sizeof(*rec)) {
		snprintf(why, whylen, "size %zu%s, want %zu", got, got > sizeof(*rec) ? "+" : "",
			 sizeof(*rec));
		return -EINVAL;
	}
	memcpy(rec, buf, sizeof(*rec));
	if (rec->magic != METAFILE_MAGIC)
		return invalid(why, whylen, "bad magic");
	if (rec->version != METAFILE_VERSION)
		return invalid(why, whylen, "unsupported version");
	if (rec->size != sizeof(*rec))
		return invalid(why, whylen, "bad record size field");
	if (rec->crc32 != metafile_crc32(rec, offsetof(struct metafile_record, crc32)))
		return invalid(why, whylen, "checksum mismatch");
	if (rec->reserved)
		return invalid(why, whylen, "reserved field not zero");
	if (rec->byte_offset > METAFILE_SEGMENT_SIZE)
		return invalid(why, whylen, "byte_offset beyond the segment size");
	if (rec->flush_seq == 0)
		return invalid(why, whylen, "flush_seq is 0");
	return 0;
}
