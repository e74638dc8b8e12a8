// SPDX-License-Identifier: GPL-2.0
/*
 * Superblock codec (kmod/core/super.c): round trip, and every refusal.
 */
#include <stdlib.h>
#include <string.h>

#include "core/super.h"
#include "super_sample.h"
#include "unit.h"

static u8 block[CAIRN_BLOCK_SIZE];

static struct cairn_disk_super *disk(void)
{
	return (struct cairn_disk_super *)block;
}

/* Mutations of a valid superblock, each refused for the reason given. */
static const struct {
	int err;
	const char *why;
} cases[] = {
	{ -EOPNOTSUPP, "unsupported format version" },	/* version */
	{ -EOPNOTSUPP, "unsupported incompatible features" },	/* incompat */
	{ -EUCLEAN, "chunk size out of range" },	/* chunk_small */
	{ -EUCLEAN, "chunk size out of range" },	/* chunk_big */
	{ -EUCLEAN, "member count or index out of range" },	/* no_members */
	{ -EUCLEAN, "member count or index out of range" },	/* many_members */
	{ -EUCLEAN, "member count or index out of range" },	/* index */
	{ -EUCLEAN, "member count or index out of range" },	/* meta */
	{ -EUCLEAN, "invalid pool name" },	/* name_bad */
	{ -EUCLEAN, "invalid pool name" },	/* name_empty */
	{ -EUCLEAN, "pool name is not NUL-padded" },	/* name_pad */
	{ -EUCLEAN, "threshold or no-space policy out of range" },	/* pct */
	{ -EUCLEAN, "threshold or no-space policy out of range" },	/* policy */
	{ -EUCLEAN, "superblock padding is not zero" },	/* padding */
	{ -EUCLEAN, "unused member slot is not zero" },	/* unused */
	{ -EUCLEAN, "two members with the same UUID" },	/* dup_uuid */
	{ -EUCLEAN, "member without a UUID" },	/* zero_uuid */
	{ -EUCLEAN, "member in an unknown state" },	/* state */
	{ -EUCLEAN, "reserved member field is not zero" },	/* reserved */
	{ -EUCLEAN, "member size out of range" },	/* small */
	{ -EUCLEAN, "member size out of range" },	/* huge */
	{ -EUCLEAN, "member layout does not fit the member" },	/* align */
	{ -EUCLEAN, "member layout does not fit the member" },	/* overrun */
	{ -EUCLEAN, "member layout does not fit the member" },	/* wrap */
	{ -EUCLEAN, "member layout does not fit the member" },	/* rmap */
	{ -EUCLEAN, "member UUID does not match the member table" },	/* self */
	{ -EUCLEAN, "volume table or journal outside the metadata area" },	/* vol_out */
	{ -EUCLEAN, "volume table or journal outside the metadata area" },	/* vol_rmap */
	{ -EUCLEAN, "volume table or journal outside the metadata area" },	/* overlap */
	{ -EUCLEAN, "journal tail outside the journal" },	/* tail */
	{ -EUCLEAN, "volume table or journal outside the metadata area" },	/* journal_wrap */
	{ -EUCLEAN, "mirror area without the mirror feature" },	/* mirror_noflag */
#define MIRROR_OUT "mirror area outside the metadata area or overlapping it"
	{ -EUCLEAN, MIRROR_OUT },	/* mirror_data */
	{ -EUCLEAN, MIRROR_OUT },	/* mirror_journal */
	{ -EUCLEAN, MIRROR_OUT },	/* mirror_size */
};

static void mutate(struct cairn_disk_super *d, unsigned int i)
{
	switch (i) {
	case 0:
		d->version = cpu_to_le32(2);
		break;
	case 1:
		d->feature_incompat = cpu_to_le64(2);
		break;
	case 2:
		d->chunk_shift = cpu_to_le32(15);
		break;
	case 3:
		d->chunk_shift = cpu_to_le32(25);
		break;
	case 4:
		d->nr_members = 0;
		break;
	case 5:
		d->nr_members = cpu_to_le32(65);
		break;
	case 6:
		d->member_index = cpu_to_le32(3);
		break;
	case 7:
		d->meta_member = cpu_to_le32(3);
		break;
	case 8:
		d->pool_name[0] = '/';
		break;
	case 9:
		d->pool_name[0] = 0;
		break;
	case 10:
		d->pool_name[10] = 'x';
		break;
	case 11:
		d->low_water_pct = cpu_to_le32(101);
		break;
	case 12:
		d->nospace_policy = cpu_to_le32(2);
		break;
	case 13:
		d->padding[100] = 1;
		break;
	case 14:
		d->members[5].state = cpu_to_le32(1);
		break;
	case 15:
		memcpy(d->members[2].uuid, d->members[0].uuid, 16);
		break;
	case 16:
		memset(d->members[2].uuid, 0, 16);
		break;
	case 17:
		d->members[0].state = cpu_to_le32(9);
		break;
	case 18:
		d->members[0].reserved = cpu_to_le32(1);
		break;
	case 19:
		d->members[0].nr_blocks = cpu_to_le64(1000);
		break;
	case 20:
		d->members[0].nr_blocks = cpu_to_le64(~0ULL);
		break;
	case 21:
		d->members[1].data_start = cpu_to_le64(1025);
		break;
	case 22:
		d->members[1].nr_chunks = cpu_to_le64(509);
		break;
	case 23:
		d->members[1].nr_chunks = cpu_to_le64(1ULL << 56);
		break;
	case 24:
		d->members[1].data_start = cpu_to_le64(0);
		break;
	case 25:
		d->member_uuid[0] ^= 1;
		break;
	case 26:
		d->volumes_start = cpu_to_le64(1000);
		break;
	case 27:
		d->volumes_start = cpu_to_le64(3);
		break;
	case 28:
		d->journal_start = cpu_to_le64(200);
		break;
	case 29:
		d->journal_tail = cpu_to_le64(784);
		break;
	case 30:
		d->journal_blocks = cpu_to_le64(~0ULL - 100);
		break;
	case 31:
		d->mirror_start = cpu_to_le64(784);
		break;
	case 32:	/* 784 + 512 runs into the data at 1024 */
		d->feature_incompat = cpu_to_le64(CAIRN_FEATURE_INCOMPAT_MIRROR);
		d->mirror_start = cpu_to_le64(784);
		d->mirror_blocks = cpu_to_le64(CAIRN_MIRROR_BLOCKS);
		break;
	case 33:
		d->feature_incompat = cpu_to_le64(CAIRN_FEATURE_INCOMPAT_MIRROR);
		d->mirror_start = cpu_to_le64(300);
		d->mirror_blocks = cpu_to_le64(CAIRN_MIRROR_BLOCKS);
		break;
	case 34:
		d->feature_incompat = cpu_to_le64(CAIRN_FEATURE_INCOMPAT_MIRROR);
		d->mirror_start = cpu_to_le64(784);
		d->mirror_blocks = cpu_to_le64(8);
		break;
	}
}

/* Encode the sample, let @mutate change the disk form, reseal, decode. */
static int decode_mutated(unsigned int i, const char **why)
{
	struct cairn_super sb;

	super_sample(&sb);
	cairn_super_encode(&sb, block, 1);
	mutate(disk(), i);
	cairn_block_seal(block, CAIRN_BLOCK_SUPER, 1, sb.seq,
			 disk()->hdr.pool_uuid);
	return cairn_super_decode(block, 1, &sb, why);
}

int main(void)
{
	struct cairn_super sb, out;
	u8 again[CAIRN_BLOCK_SIZE];
	const char *why = NULL;
	unsigned int i;

	/* Round trip, byte for byte. */
	super_sample(&sb);
	cairn_super_encode(&sb, block, 1);
	CHECK_EQ(cairn_super_decode(block, 1, &out, &why), 0);
	CHECK(!memcmp(&sb, &out, sizeof(sb)));
	cairn_super_encode(&out, again, 1);
	CHECK(!memcmp(block, again, sizeof(block)));

	/* With a mirror area between the journal and the data. */
	sb.feature_incompat = CAIRN_FEATURE_INCOMPAT_MIRROR;
	sb.mirror_start = 784;
	sb.mirror_blocks = CAIRN_MIRROR_BLOCKS;
	sb.members[0].data_start = 2048;
	sb.members[0].nr_chunks = 1024 - 8;
	cairn_super_encode(&sb, block, 1);
	CHECK_EQ(cairn_super_decode(block, 1, &out, &why), 0);
	CHECK(!memcmp(&sb, &out, sizeof(sb)));

	/* Not a member, torn, misplaced, another pool. */
	memset(again, 0, sizeof(again));
	CHECK_EQ(cairn_super_decode(again, 0, &out, &why), -EINVAL);
	CHECK_EQ(cairn_super_decode(block, 0, &out, &why), -EBADMSG);
	CHECK(!strcmp(why, "metadata block written for another location"));
	block[3000] ^= 0x40;
	CHECK_EQ(cairn_super_decode(block, 1, &out, &why), -EBADMSG);
	CHECK(!strcmp(why, "metadata block checksum mismatch"));
	block[3000] ^= 0x40;
	CHECK_EQ(cairn_block_check(block, CAIRN_BLOCK_SUPER, 1, sb.pool_uuid,
				   &why), 0);
	CHECK_EQ(cairn_block_check(block, CAIRN_BLOCK_RMAP, 1, sb.pool_uuid,
				   &why), -EBADMSG);
	sb.pool_uuid[0] ^= 1;
	CHECK_EQ(cairn_block_check(block, CAIRN_BLOCK_SUPER, 1, sb.pool_uuid,
				   &why), -EBADMSG);
	CHECK(!strcmp(why, "metadata block of another pool"));

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int r = decode_mutated(i, &why);

		CHECK_EQ(r, cases[i].err);
		if (r && strcmp(why, cases[i].why)) {
			fprintf(stderr, "case %u: why '%s', expected '%s'\n",
				i, why, cases[i].why);
			CHECK(0);
		}
	}

	return unit_finish("super");
}
