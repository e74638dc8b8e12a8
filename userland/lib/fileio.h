/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Metadata I/O of kmod/core on files or block devices (pread/pwrite/
 * fdatasync), for the userland tools.
 */
#ifndef LIBCAIRN_FILEIO_H
#define LIBCAIRN_FILEIO_H

#include <stdbool.h>

#include "core/pool.h"

struct cairn_fileio {
	unsigned int nr;
	int fd[CAIRN_MAX_MEMBERS];
	const char *path[CAIRN_MAX_MEMBERS];
	u64 nr_blocks[CAIRN_MAX_MEMBERS];
	/* The last block read: where a refusal of open points. */
	unsigned int last_dev;
	u64 last_block;
};

extern const struct cairn_io_ops cairn_fileio_ops;

/* Open @nr paths; 0, or -errno with the failing path in *@bad. */
int cairn_fileio_open(struct cairn_fileio *io, unsigned int nr,
		      char *const *paths, bool writable, const char **bad);
void cairn_fileio_close(struct cairn_fileio *io);

#endif /* LIBCAIRN_FILEIO_H */
