// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Metadata I/O of kmod/core on files or block devices.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>

#include "fileio.h"

static int fio_read(void *ctx, unsigned int dev, u64 block, void *buf)
{
	struct cairn_fileio *io = ctx;
	ssize_t n;

	io->last_dev = dev;
	io->last_block = block;
	if (dev >= io->nr || block >= io->nr_blocks[dev])
		return -EIO;
	n = pread(io->fd[dev], buf, CAIRN_BLOCK_SIZE, block * CAIRN_BLOCK_SIZE);
	if (n < 0)
		return -errno;
	if (n != CAIRN_BLOCK_SIZE)
		return -EIO;
	return 0;
}

static int fio_write(void *ctx, unsigned int dev, u64 block, const void *buf)
{
	struct cairn_fileio *io = ctx;
	ssize_t n;

	if (dev >= io->nr || block >= io->nr_blocks[dev])
		return -EIO;
	n = pwrite(io->fd[dev], buf, CAIRN_BLOCK_SIZE, block * CAIRN_BLOCK_SIZE);
	if (n < 0)
		return -errno;
	return n == CAIRN_BLOCK_SIZE ? 0 : -EIO;
}

static int fio_flush(void *ctx, unsigned int dev)
{
	struct cairn_fileio *io = ctx;

	return fdatasync(io->fd[dev]) ? -errno : 0;
}

const struct cairn_io_ops cairn_fileio_ops = {
	.read = fio_read,
	.write = fio_write,
	.flush = fio_flush,
};

int cairn_fileio_open(struct cairn_fileio *io, unsigned int nr,
		      char *const *paths, bool writable, const char **bad)
{
	unsigned int i;
	struct stat st;
	u64 bytes;
	int r;

	memset(io, 0, sizeof(*io));
	if (nr > CAIRN_MAX_MEMBERS)
		return -E2BIG;
	for (i = 0; i < nr; i++) {
		*bad = paths[i];
		io->path[i] = paths[i];
		io->fd[i] = open(paths[i], (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
		if (io->fd[i] < 0)
			goto fail;
		io->nr = i + 1;
		if (fstat(io->fd[i], &st))
			goto fail;
		if (S_ISBLK(st.st_mode)) {
			if (ioctl(io->fd[i], BLKGETSIZE64, &bytes))
				goto fail;
		} else if (S_ISREG(st.st_mode)) {
			bytes = st.st_size;
		} else {
			errno = ENOTBLK;
			goto fail;
		}
		io->nr_blocks[i] = bytes / CAIRN_BLOCK_SIZE;
	}
	return 0;
fail:
	r = -errno;
	cairn_fileio_close(io);
	return r;
}

void cairn_fileio_close(struct cairn_fileio *io)
{
	unsigned int i;

	for (i = 0; i < io->nr; i++)
		if (io->fd[i] >= 0)
			close(io->fd[i]);
	io->nr = 0;
}
