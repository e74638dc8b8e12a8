// SPDX-License-Identifier: GPL-2.0
/*
 * cairn-check on pool images in files, clean and corrupted on purpose:
 * torn block, a chunk mapped twice, a chunk beyond its volume, a missing
 * member, a device that is no member, and a journal not yet checkpointed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/wait.h>

#include "core/pool.h"
#include "fileio.h"
#include "unit.h"

static char path[2][64];
static char out[8192];

/* Run cairn-check on @n images; its exit status, its output in out[]. */
static int run_check(unsigned int n)
{
	const char *bin = getenv("CAIRN_CHECK") ?: "build/user/bin/cairn-check";
	char cmd[512];
	FILE *f;
	size_t len;
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s %s 2>&1", bin, path[0], n > 1 ? path[1] : "");
	f = popen(cmd, "r");
	len = fread(out, 1, sizeof(out) - 1, f);
	out[len] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void block_io(unsigned int dev, u64 block, u8 *buf, bool write)
{
	off_t off = block * CAIRN_BLOCK_SIZE;
	int fd = open(path[dev], O_RDWR);

	if (write)
		CHECK_EQ(pwrite(fd, buf, CAIRN_BLOCK_SIZE, off), CAIRN_BLOCK_SIZE);
	else
		CHECK_EQ(pread(fd, buf, CAIRN_BLOCK_SIZE, off), CAIRN_BLOCK_SIZE);
	close(fd);
}

static struct cairn_disk_rmap *rmap_entries(u8 *buf)
{
	return (struct cairn_disk_rmap *)(buf + sizeof(struct cairn_block_header));
}

static void reseal(u8 *buf, u64 block)
{
	struct cairn_block_header *h = (void *)buf;

	cairn_block_seal(buf, CAIRN_BLOCK_RMAP, block, le64_to_cpu(h->seq), h->pool_uuid);
}

int main(void)
{
	char dir[] = "/tmp/cairn-check-XXXXXX";
	struct cairn_pool_params p = { .name = "chk", .chunk_shift = 20, .journal_blocks = 64 };
	char *paths[2] = { path[0], path[1] };
	u8 saved[CAIRN_BLOCK_SIZE], buf[CAIRN_BLOCK_SIZE], uuid[16] = { 9 };
	struct cairn_pool *pool = NULL;
	struct cairn_volume *v;
	struct cairn_fileio io;
	const char *why, *bad;
	u64 sizes[2], pchunk;
	unsigned int i, k;
	u32 member;
	int fd;

	CHECK(mkdtemp(dir));	/* fills in the XXXXXX */
	for (i = 0; i < 2; i++) {
		snprintf(path[i], sizeof(path[i]), "%s/m%u.img", dir, i);
		fd = open(path[i], O_CREAT | O_RDWR | O_TRUNC, 0600);
		CHECK_EQ(ftruncate(fd, (96 + 32 * i) << 20), 0);
		close(fd);
		sizes[i] = (u64)(96 + 32 * i) << 8;
		memset(p.member_uuid[i], 0x50 + i, 16);
	}
	memset(p.pool_uuid, 0x44, 16);

	CHECK_EQ(cairn_fileio_open(&io, 2, paths, true, &bad), 0);
	CHECK_EQ(cairn_pool_create(&cairn_fileio_ops, &io, 2, sizes, &p, &pool, &why), 0);
	CHECK_EQ(cairn_volume_create(pool, "v1", uuid, 1ULL << 40, &v), 0);
	for (i = 0; i < 40; i++)
		CHECK_EQ(cairn_provision(pool, v, i * 3, &member, &pchunk), 0);
	CHECK_EQ(cairn_pool_close(pool), 0);
	cairn_fileio_close(&io);

	CHECK_EQ(run_check(2), 0);
	CHECK(strstr(out, "pool chk ") && strstr(out, "volume v1 ") &&
	      strstr(out, "allocated 40.0 MiB (40/"));

	/* A journal not yet checkpointed is replayed (in RAM only). */
	CHECK_EQ(cairn_fileio_open(&io, 2, paths, true, &bad), 0);
	CHECK_EQ(cairn_pool_open(&cairn_fileio_ops, &io, 2, false, &pool, &why), 0);
	v = cairn_volume_find(pool, "v1");
	CHECK_EQ(cairn_provision(pool, v, 1000, &member, &pchunk), 0);
	CHECK_EQ(cairn_commit(pool), 0);
	cairn_pool_free(pool);	/* a crash: no checkpoint */
	cairn_fileio_close(&io);
	CHECK_EQ(run_check(2), 0);
	CHECK(strstr(out, "(41/"));
	CHECK_EQ(run_check(2), 0);	/* and cairn-check wrote nothing */
	CHECK(strstr(out, "(41/"));

	/* Torn reverse-map block. */
	block_io(1, CAIRN_RMAP_START, saved, false);
	memcpy(buf, saved, sizeof(buf));
	buf[1000] ^= 1;
	block_io(1, CAIRN_RMAP_START, buf, true);
	CHECK_EQ(run_check(2), 1);
	CHECK(strstr(out, "checksum mismatch") && strstr(out, "last block read: 2 of"));
	block_io(1, CAIRN_RMAP_START, saved, true);
	CHECK_EQ(run_check(2), 0);

	/* One volume chunk mapped by two physical chunks. */
	block_io(0, CAIRN_RMAP_START, buf, false);
	for (i = 0; !rmap_entries(buf)[i].volume; i++)
		;
	block_io(1, CAIRN_RMAP_START, saved, false);
	{
		struct cairn_disk_rmap e = rmap_entries(buf)[i];

		/*
		 * Member 1's last chunk (127 MiB of 1 MiB chunks after its
		 * metadata): the journal's records do not cover it.
		 */
		memcpy(buf, saved, sizeof(buf));
		k = 126;
		CHECK(!rmap_entries(buf)[k].volume);
		rmap_entries(buf)[k] = e;
	}
	reseal(buf, CAIRN_RMAP_START);
	block_io(1, CAIRN_RMAP_START, buf, true);
	CHECK_EQ(run_check(2), 1);
	CHECK(strstr(out, "volume chunk mapped twice"));

	/* A chunk mapped beyond its volume's size. */
	rmap_entries(buf)[k].vchunk = cpu_to_le64(1ULL << 30);
	reseal(buf, CAIRN_RMAP_START);
	block_io(1, CAIRN_RMAP_START, buf, true);
	CHECK_EQ(run_check(2), 1);
	CHECK(strstr(out, "chunk mapped beyond its volume's size"));
	block_io(1, CAIRN_RMAP_START, saved, true);

	/* A missing member; a device that holds no pool. */
	CHECK_EQ(run_check(1), 1);
	CHECK(strstr(out, "a member of the pool is missing"));
	block_io(1, 0, saved, false);
	memset(buf, 0, sizeof(buf));
	block_io(1, 0, buf, true);
	block_io(1, 1, buf, true);
	CHECK_EQ(run_check(2), 1);
	CHECK(strstr(out, "not a Cairn pool member"));

	if (unit_failed)
		fprintf(stderr, "last cairn-check output:\n%s", out);
	unlink(path[0]);
	unlink(path[1]);
	rmdir(dir);
	return unit_finish("check");
}
