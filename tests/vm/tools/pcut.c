// SPDX-License-Identifier: GPL-2.0
/*
 * pcut - writer and verifier for the power-cut tests.
 *
 *   pcut write DEV BLOCKS SEED LOG   random 4 KiB O_DIRECT writes over the
 *                                    first BLOCKS blocks of DEV, an
 *                                    fdatasync (a FLUSH) every 32; after
 *                                    each completed flush the batch's
 *                                    (block, seq) pairs and an "F" line are
 *                                    appended to LOG and LOG is fsynced.
 *                                    Runs until killed.
 *   pcut verify DEV LOG              every block of a flushed batch holds
 *                                    its seq from the log or a later one,
 *                                    intact (magic, block number, crc).
 *   pcut ackwrite DEV BLOCKS SEED LOG STOP
 *                                    the fault campaign's writer: random
 *                                    4 KiB O_DIRECT writes, one at a time,
 *                                    each logged (as a batch of one, so
 *                                    verify checks every acknowledged
 *                                    write) once it completed; every 8th
 *                                    write a block written before is read
 *                                    back and must hold exactly its last
 *                                    acknowledged seq.  Until the file
 *                                    STOP exists; then a summary line
 *                                    (writes, reads checked, the longest
 *                                    write in ms).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>

#define BS 4096
#define MAGIC 0x5043555442304b21ULL

struct hdr {
	uint64_t magic;
	uint64_t block;
	uint64_t seq;
	uint32_t sum;
	uint32_t pad;
};

static uint32_t sum32(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static void fill(uint8_t *buf, uint64_t block, uint64_t seq)
{
	struct hdr *h = (struct hdr *)buf;
	uint64_t x = seq * 0x9e3779b97f4a7c15ULL + block;
	size_t i;

	for (i = sizeof(*h); i < BS; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(buf + i, &x, 8);
	}
	h->magic = MAGIC;
	h->block = block;
	h->seq = seq;
	h->pad = 0;
	h->sum = 0;
	h->sum = sum32(buf, BS);
}

static int do_write(const char *dev, uint64_t blocks, uint64_t seed, const char *logp)
{
	uint64_t batch_b[32], batch_s[32], seq = 1, x = seed | 1;
	uint8_t *buf;
	int fd, n = 0, i;
	FILE *log;

	fd = open(dev, O_WRONLY | O_DIRECT);
	log = fopen(logp, "a");
	if (fd < 0 || !log || posix_memalign((void **)&buf, BS, BS)) {
		perror("pcut write");
		return 2;
	}
	for (;;) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		batch_b[n] = x % blocks;
		batch_s[n] = seq;
		fill(buf, batch_b[n], seq++);
		if (pwrite(fd, buf, BS, batch_b[n] * BS) != BS) {
			perror("pcut write: pwrite");
			return 1;
		}
		if (++n < 32)
			continue;
		if (fdatasync(fd)) {
			perror("pcut write: fdatasync");
			return 1;
		}
		for (i = 0; i < n; i++)
			fprintf(log, "%llu %llu\n", (unsigned long long)batch_b[i],
				(unsigned long long)batch_s[i]);
		fprintf(log, "F\n");
		fflush(log);
		fsync(fileno(log));
		n = 0;
	}
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Does @buf hold block @b's write @seq, intact? */
static int holds(uint8_t *buf, uint64_t b, uint64_t seq)
{
	struct hdr *h = (struct hdr *)buf;
	uint32_t sum = h->sum;
	int ok;

	h->sum = 0;
	ok = h->magic == MAGIC && h->block == b && h->seq == seq &&
	     sum32(buf, BS) == sum;
	h->sum = sum;
	return ok;
}

static int do_ackwrite(const char *dev, uint64_t blocks, uint64_t seed,
		       const char *logp, const char *stop)
{
	uint64_t seq = 1, x = seed | 1, b, t, worst = 0, reads = 0;
	uint64_t *last = calloc(blocks, sizeof(*last));
	struct stat st;
	uint8_t *buf;
	FILE *log;
	int fd;

	fd = open(dev, O_RDWR | O_DIRECT);
	log = fopen(logp, "a");
	if (fd < 0 || !log || !last || posix_memalign((void **)&buf, BS, BS)) {
		perror("pcut ackwrite");
		return 2;
	}
	while (stat(stop, &st)) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b = x % blocks;
		fill(buf, b, seq);
		t = now_ms();
		if (pwrite(fd, buf, BS, b * BS) != BS) {
			perror("pcut ackwrite: pwrite");
			return 1;
		}
		t = now_ms() - t;
		worst = t > worst ? t : worst;
		last[b] = seq;
		fprintf(log, "%llu %llu\nF\n", (unsigned long long)b,
			(unsigned long long)seq);
		fflush(log);
		if (seq++ % 8)
			continue;
		b = (x >> 20) % blocks;
		if (!last[b])
			continue;
		if (pread(fd, buf, BS, b * BS) != BS) {
			perror("pcut ackwrite: pread");
			return 1;
		}
		reads++;
		if (!holds(buf, b, last[b])) {
			fprintf(stderr, "pcut ackwrite: block %llu does not hold its acknowledged write %llu (found seq %llu)\n",
				(unsigned long long)b, (unsigned long long)last[b],
				(unsigned long long)((struct hdr *)buf)->seq);
			return 1;
		}
	}
	printf("pcut: %llu writes acknowledged, %llu read back, longest write %llu ms\n",
	       (unsigned long long)(seq - 1), (unsigned long long)reads,
	       (unsigned long long)worst);
	return 0;
}

static int do_verify(const char *dev, const char *logp)
{
	unsigned long long b, s, nb = 0, checked = 0, newer = 0, bad = 0;
	uint64_t *want = NULL, *pb = NULL, *ps = NULL;
	size_t npend = 0, cap = 0;
	char line[128];
	uint8_t *buf;
	FILE *log;
	int fd;

	fd = open(dev, O_RDONLY | O_DIRECT);
	log = fopen(logp, "r");
	if (fd < 0 || !log || posix_memalign((void **)&buf, BS, BS)) {
		perror("pcut verify");
		return 2;
	}
	while (fgets(line, sizeof(line), log)) {
		if (line[0] == 'F') {
			size_t i;

			for (i = 0; i < npend; i++) {
				if (pb[i] >= nb) {
					want = realloc(want, (pb[i] + 1) * 8);
					memset(want + nb, 0, (pb[i] + 1 - nb) * 8);
					nb = pb[i] + 1;
				}
				want[pb[i]] = ps[i];
			}
			npend = 0;
			continue;
		}
		if (sscanf(line, "%llu %llu", &b, &s) != 2)
			break;	/* a torn last line: its batch has no F */
		if (npend == cap) {
			cap = cap ? cap * 2 : 64;
			pb = realloc(pb, cap * 8);
			ps = realloc(ps, cap * 8);
		}
		pb[npend] = b;
		ps[npend++] = s;
	}
	for (b = 0; b < nb; b++) {
		struct hdr *h = (struct hdr *)buf;
		uint32_t sum;

		if (!want[b])
			continue;
		checked++;
		if (pread(fd, buf, BS, b * BS) != BS) {
			perror("pcut verify: pread");
			return 1;
		}
		sum = h->sum;
		h->sum = 0;
		if (h->magic != MAGIC || h->block != b || sum32(buf, BS) != sum ||
		    h->seq < want[b]) {
			if (bad++ < 5)
				fprintf(stderr, "block %llu: want seq >= %llu, found magic %llx block %llu seq %llu\n",
					b, (unsigned long long)want[b],
					(unsigned long long)h->magic,
					(unsigned long long)h->block,
					(unsigned long long)h->seq);
			continue;
		}
		newer += h->seq > want[b];
	}
	printf("pcut: %llu flushed blocks checked, %llu hold later writes, %llu bad\n",
	       checked, newer, bad);
	return bad || !checked ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "write"))
		return do_write(argv[2], strtoull(argv[3], NULL, 0),
				strtoull(argv[4], NULL, 0), argv[5]);
	if (argc == 4 && !strcmp(argv[1], "verify"))
		return do_verify(argv[2], argv[3]);
	if (argc == 7 && !strcmp(argv[1], "ackwrite"))
		return do_ackwrite(argv[2], strtoull(argv[3], NULL, 0),
				   strtoull(argv[4], NULL, 0), argv[5], argv[6]);
	fprintf(stderr, "usage: pcut write DEV BLOCKS SEED LOG | pcut verify DEV LOG | pcut ackwrite DEV BLOCKS SEED LOG STOP\n");
	return 2;
}
