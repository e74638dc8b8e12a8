// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the seed corpora of the fuzz targets: valid blocks from the unit
 * tests' samples and from fuzz_metadata's image.
 * Usage: gen_seeds SUPER_DIR METADATA_DIR WIRE_DIR
 */
#include <stdio.h>

#include "core/super.h"
#include "core/wire.h"
#include "../unit/super_sample.h"
#include "fuzz_image.h"

static int write_seed(const char *dir, const char *name, const void *prefix,
		      size_t plen, const void *block)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || (plen && fwrite(prefix, plen, 1, f) != 1) ||
	    fwrite(block, CAIRN_BLOCK_SIZE, 1, f) != 1) {
		perror(path);
		return 1;
	}
	return fclose(f) ? 1 : 0;
}

static int write_block(const char *dir, const char *name, const void *block)
{
	return write_seed(dir, name, NULL, 0, block);
}

/* fuzz_metadata's inputs: selector byte, index byte, block. */
static int metadata_seeds(const char *dir)
{
	static const struct {
		const char *name;
		u8 sel[2];
	} seeds[] = {
		{ "volumes-0", { 0, 0 } },
		{ "rmap-m0", { 1, 0 } },
		{ "rmap-m1", { 1, 1 } },
		{ "journal-tail", { 2, 0 } },
		{ "journal-next", { 3, 0 } },
	};
	unsigned int i, dev;
	u64 loc;

	build_image();
	for (i = 0; i < ARRAY_SIZE(seeds); i++) {
		dev = 0;
		switch (seeds[i].sel[0]) {
		case 0:
			loc = sb.volumes_start;
			break;
		case 1:
			dev = seeds[i].sel[1];
			loc = CAIRN_RMAP_START;
			break;
		default:
			loc = sb.journal_tail + (seeds[i].sel[0] & 1);
			break;
		}
		if (write_seed(dir, seeds[i].name, seeds[i].sel, 2,
			       sim_peek(&image, dev, loc)))
			return 1;
	}
	return 0;
}

/*
 * fuzz_wire's inputs: streams of messages as a peer sends them, one seed
 * per kind of message, and one stream of a write, a flush and their acks.
 */
static int wire_seeds(const char *dir)
{
	static u8 stream[4096];
	struct cairn_wire_msg m;
	unsigned int cmd, n, len = 0;
	char path[4096];
	FILE *f;

	for (cmd = CAIRN_W_HELLO; cmd < __CAIRN_W_MAX; cmd++) {
		memset(&m, 0, sizeof(m));
		m.cmd = cmd;
		m.data.cookie = 1;
		switch (cmd) {
		case CAIRN_W_HELLO:
			memset(m.hello.uuid, 0x11, sizeof(m.hello.uuid));
			strcpy(m.hello.name, "vm01");
			m.hello.size = 1ULL << 30;
			m.hello.grain_shift = 20;
			m.hello.role = CAIRN_WIRE_SECONDARY;
			m.hello.disk = CAIRN_WIRE_CONSISTENT;
			m.hello.gen_current = 2;
			break;
		case CAIRN_W_DATA:
			m.data.sector = 8;
			m.data.seq = 1;
			m.data.flags = CAIRN_WF_FUA;
			m.data.size = 512;
			m.payload = 512;
			break;
		case CAIRN_W_RS_REQUEST:
			m.data.size = 4096;
			break;
		case CAIRN_W_BITMAP:
			m.bitmap.nbits = 64;
			m.payload = 8;
			break;
		case CAIRN_W_NEG_ACK:
		case CAIRN_W_RS_NACK:
			m.ack.status = EIO;
			break;
		}
		n = cairn_wire_encode(stream + len, &m);
		memset(stream + len + n, 0xab, m.payload);
		snprintf(path, sizeof(path), "%s/%s", dir,
			 cairn_wire_cmd_name(cmd));
		f = fopen(path, "wb");
		if (!f || fwrite(stream + len, n + m.payload, 1, f) != 1 ||
		    fclose(f)) {
			perror(path);
			return 1;
		}
		len += n + m.payload;
	}
	snprintf(path, sizeof(path), "%s/stream", dir);
	f = fopen(path, "wb");
	if (!f || fwrite(stream, len, 1, f) != 1 || fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static u8 block[CAIRN_BLOCK_SIZE];
	struct cairn_super sb;

	if (argc != 4) {
		fprintf(stderr, "usage: gen_seeds SUPER_DIR METADATA_DIR WIRE_DIR\n");
		return 2;
	}
	super_sample(&sb);
	cairn_super_encode(&sb, block, 1);
	if (write_block(argv[1], "super-sample-slot1", block))
		return 1;
	sb.nr_members = 1;
	sb.member_index = 0;
	memcpy(sb.member_uuid, sb.members[0].uuid, CAIRN_UUID_SIZE);
	cairn_super_encode(&sb, block, 0);
	if (write_block(argv[1], "super-one-member-slot0", block))
		return 1;
	if (metadata_seeds(argv[2]))
		return 1;
	return wire_seeds(argv[3]);
}
