// SPDX-License-Identifier: GPL-2.0
/*
 * Metadata block sealing and the superblock codec.
 */
#include "super.h"
#include "names.h"

static u32 cairn_block_csum(const void *block)
{
	return ~crc32c(~0U, (const u8 *)block + 4, CAIRN_BLOCK_SIZE - 4);
}

void cairn_block_seal(void *block, u32 type, u64 location, u64 seq,
		      const u8 *pool_uuid)
{
	struct cairn_block_header *h = block;

	h->type = cpu_to_le32(type);
	h->location = cpu_to_le64(location);
	h->seq = cpu_to_le64(seq);
	memcpy(h->pool_uuid, pool_uuid, CAIRN_UUID_SIZE);
	h->csum = cpu_to_le32(cairn_block_csum(block));
}

int cairn_block_check(const void *block, u32 type, u64 location,
		      const u8 *pool_uuid, const char **why)
{
	const struct cairn_block_header *h = block;

	if (le32_to_cpu(h->csum) != cairn_block_csum(block)) {
		*why = "metadata block checksum mismatch";
		return -EBADMSG;
	}
	if (le32_to_cpu(h->type) != type) {
		*why = "metadata block of the wrong type";
		return -EBADMSG;
	}
	if (le64_to_cpu(h->location) != location) {
		*why = "metadata block written for another location";
		return -EBADMSG;
	}
	if (pool_uuid && memcmp(h->pool_uuid, pool_uuid, CAIRN_UUID_SIZE)) {
		*why = "metadata block of another pool";
		return -EBADMSG;
	}

	return 0;
}

bool cairn_zero(const void *p, size_t len)
{
	const u8 *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

void cairn_super_encode(const struct cairn_super *sb, void *block,
			unsigned int slot)
{
	struct cairn_disk_super *d = block;
	unsigned int i;

	memset(block, 0, CAIRN_BLOCK_SIZE);
	d->magic = cpu_to_le64(CAIRN_MAGIC);
	d->version = cpu_to_le32(CAIRN_FORMAT_VERSION);
	d->chunk_shift = cpu_to_le32(sb->chunk_shift);
	d->feature_compat = cpu_to_le64(sb->feature_compat);
	d->feature_ro_compat = cpu_to_le64(sb->feature_ro_compat);
	d->feature_incompat = cpu_to_le64(sb->feature_incompat);
	memcpy(d->member_uuid, sb->member_uuid, CAIRN_UUID_SIZE);
	memcpy(d->pool_name, sb->pool_name,
	       strnlen(sb->pool_name, CAIRN_POOL_NAME_SIZE));
	d->member_index = cpu_to_le32(sb->member_index);
	d->nr_members = cpu_to_le32(sb->nr_members);
	d->meta_member = cpu_to_le32(sb->meta_member);
	d->low_water_pct = cpu_to_le32(sb->low_water_pct);
	d->nospace_policy = cpu_to_le32(sb->nospace_policy);
	d->nospace_timeout_s = cpu_to_le32(sb->nospace_timeout_s);
	d->config_seq = cpu_to_le64(sb->config_seq);
	d->volumes_start = cpu_to_le64(sb->volumes_start);
	d->volumes_blocks = cpu_to_le64(sb->volumes_blocks);
	d->journal_start = cpu_to_le64(sb->journal_start);
	d->journal_blocks = cpu_to_le64(sb->journal_blocks);
	d->journal_tail = cpu_to_le64(sb->journal_tail);
	d->journal_tail_seq = cpu_to_le64(sb->journal_tail_seq);
	d->mirror_start = cpu_to_le64(sb->mirror_start);
	d->mirror_blocks = cpu_to_le64(sb->mirror_blocks);
	for (i = 0; i < sb->nr_members && i < CAIRN_MAX_MEMBERS; i++) {
		const struct cairn_member_info *m = &sb->members[i];
		struct cairn_disk_member *dm = &d->members[i];

		memcpy(dm->uuid, m->uuid, CAIRN_UUID_SIZE);
		dm->nr_blocks = cpu_to_le64(m->nr_blocks);
		dm->data_start = cpu_to_le64(m->data_start);
		dm->nr_chunks = cpu_to_le64(m->nr_chunks);
		dm->state = cpu_to_le32(m->state);
	}
	cairn_block_seal(block, CAIRN_BLOCK_SUPER, slot, sb->seq,
			 sb->pool_uuid);
}

/* Is [start, start + len) inside [lo, hi)?  Overflow-safe. */
static bool cairn_range_in(u64 start, u64 len, u64 lo, u64 hi)
{
	return start >= lo && start <= hi && len <= hi - start;
}

static int cairn_member_decode(const struct cairn_disk_member *dm,
			       struct cairn_member_info *m, u32 chunk_shift,
			       const char **why)
{
	u64 chunk_blocks = 1ULL << (chunk_shift - CAIRN_BLOCK_SHIFT);
	u64 meta_end;

	memcpy(m->uuid, dm->uuid, CAIRN_UUID_SIZE);
	m->nr_blocks = le64_to_cpu(dm->nr_blocks);
	m->data_start = le64_to_cpu(dm->data_start);
	m->nr_chunks = le64_to_cpu(dm->nr_chunks);
	m->state = le32_to_cpu(dm->state);

	if (cairn_zero(m->uuid, CAIRN_UUID_SIZE)) {
		*why = "member without a UUID";
		return -EUCLEAN;
	}
	if (m->state != CAIRN_MEMBER_ACTIVE &&
	    m->state != CAIRN_MEMBER_EVACUATING) {
		*why = "member in an unknown state";
		return -EUCLEAN;
	}
	if (dm->reserved) {
		*why = "reserved member field is not zero";
		return -EUCLEAN;
	}
	/* No device is near 2^64 bytes: keep the arithmetic below exact. */
	if (m->nr_blocks < (CAIRN_MIN_MEMBER_BYTES >> CAIRN_BLOCK_SHIFT) ||
	    m->nr_blocks > (1ULL << (63 - CAIRN_BLOCK_SHIFT))) {
		*why = "member size out of range";
		return -EUCLEAN;
	}
	meta_end = CAIRN_RMAP_START + CAIRN_RMAP_BLOCKS(m->nr_chunks);
	if (m->data_start & (chunk_blocks - 1) ||
	    m->nr_chunks > m->nr_blocks ||
	    m->data_start < meta_end ||
	    !cairn_range_in(m->data_start, m->nr_chunks * chunk_blocks,
			    0, m->nr_blocks)) {
		*why = "member layout does not fit the member";
		return -EUCLEAN;
	}

	return 0;
}

static int cairn_super_check_meta(const struct cairn_super *sb,
				  const char **why)
{
	const struct cairn_member_info *m = &sb->members[sb->meta_member];
	u64 lo = CAIRN_RMAP_START + CAIRN_RMAP_BLOCKS(m->nr_chunks);

	if (!sb->volumes_blocks || !sb->journal_blocks ||
	    !cairn_range_in(sb->volumes_start, sb->volumes_blocks,
			    lo, m->data_start) ||
	    !cairn_range_in(sb->journal_start, sb->journal_blocks,
			    lo, m->data_start) ||
	    (sb->volumes_start < sb->journal_start + sb->journal_blocks &&
	     sb->journal_start < sb->volumes_start + sb->volumes_blocks)) {
		*why = "volume table or journal outside the metadata area";
		return -EUCLEAN;
	}
	if (sb->journal_tail < sb->journal_start ||
	    sb->journal_tail >= sb->journal_start + sb->journal_blocks) {
		*why = "journal tail outside the journal";
		return -EUCLEAN;
	}
	if (!(sb->feature_incompat & CAIRN_FEATURE_INCOMPAT_MIRROR)) {
		if (sb->mirror_start || sb->mirror_blocks) {
			*why = "mirror area without the mirror feature";
			return -EUCLEAN;
		}
		return 0;
	}
	if (sb->mirror_blocks != CAIRN_MIRROR_BLOCKS ||
	    !cairn_range_in(sb->mirror_start, sb->mirror_blocks,
			    lo, m->data_start) ||
	    (sb->mirror_start < sb->journal_start + sb->journal_blocks &&
	     sb->journal_start < sb->mirror_start + sb->mirror_blocks) ||
	    (sb->mirror_start < sb->volumes_start + sb->volumes_blocks &&
	     sb->volumes_start < sb->mirror_start + sb->mirror_blocks)) {
		*why = "mirror area outside the metadata area or overlapping it";
		return -EUCLEAN;
	}

	return 0;
}

int cairn_super_decode(const void *block, unsigned int slot,
		       struct cairn_super *sb, const char **why)
{
	const struct cairn_disk_super *d = block;
	unsigned int i, j;
	int r;

	memset(sb, 0, sizeof(*sb));
	if (le64_to_cpu(d->magic) != CAIRN_MAGIC) {
		*why = "not a Cairn pool member (no superblock magic)";
		return -EINVAL;
	}
	r = cairn_block_check(block, CAIRN_BLOCK_SUPER, slot, NULL, why);
	if (r)
		return r;
	if (le32_to_cpu(d->version) != CAIRN_FORMAT_VERSION) {
		*why = "unsupported format version";
		return -EOPNOTSUPP;
	}
	sb->feature_compat = le64_to_cpu(d->feature_compat);
	sb->feature_ro_compat = le64_to_cpu(d->feature_ro_compat);
	sb->feature_incompat = le64_to_cpu(d->feature_incompat);
	if (sb->feature_incompat & ~CAIRN_FEATURE_INCOMPAT_SUPP) {
		*why = "unsupported incompatible features";
		return -EOPNOTSUPP;
	}

	sb->seq = le64_to_cpu(d->hdr.seq);
	memcpy(sb->pool_uuid, d->hdr.pool_uuid, CAIRN_UUID_SIZE);
	memcpy(sb->member_uuid, d->member_uuid, CAIRN_UUID_SIZE);
	memcpy(sb->pool_name, d->pool_name, CAIRN_POOL_NAME_SIZE);
	sb->pool_name[CAIRN_POOL_NAME_SIZE] = '\0';
	sb->chunk_shift = le32_to_cpu(d->chunk_shift);
	sb->member_index = le32_to_cpu(d->member_index);
	sb->nr_members = le32_to_cpu(d->nr_members);
	sb->meta_member = le32_to_cpu(d->meta_member);
	sb->low_water_pct = le32_to_cpu(d->low_water_pct);
	sb->nospace_policy = le32_to_cpu(d->nospace_policy);
	sb->nospace_timeout_s = le32_to_cpu(d->nospace_timeout_s);
	sb->config_seq = le64_to_cpu(d->config_seq);
	sb->volumes_start = le64_to_cpu(d->volumes_start);
	sb->volumes_blocks = le64_to_cpu(d->volumes_blocks);
	sb->journal_start = le64_to_cpu(d->journal_start);
	sb->journal_blocks = le64_to_cpu(d->journal_blocks);
	sb->journal_tail = le64_to_cpu(d->journal_tail);
	sb->journal_tail_seq = le64_to_cpu(d->journal_tail_seq);
	sb->mirror_start = le64_to_cpu(d->mirror_start);
	sb->mirror_blocks = le64_to_cpu(d->mirror_blocks);

	if (cairn_zero(sb->pool_uuid, CAIRN_UUID_SIZE) ||
	    cairn_zero(sb->member_uuid, CAIRN_UUID_SIZE)) {
		*why = "pool or member UUID is zero";
		return -EUCLEAN;
	}
	if (cairn_name_check(sb->pool_name, CAIRN_POOL_NAME_SIZE + 1)) {
		*why = "invalid pool name";
		return -EUCLEAN;
	}
	/* The name is NUL-padded: nothing may follow its end. */
	if (!cairn_zero(d->pool_name + strlen(sb->pool_name),
			CAIRN_POOL_NAME_SIZE - strlen(sb->pool_name))) {
		*why = "pool name is not NUL-padded";
		return -EUCLEAN;
	}
	if (sb->chunk_shift < CAIRN_MIN_CHUNK_SHIFT ||
	    sb->chunk_shift > CAIRN_MAX_CHUNK_SHIFT) {
		*why = "chunk size out of range";
		return -EUCLEAN;
	}
	if (sb->nr_members < 1 || sb->nr_members > CAIRN_MAX_MEMBERS ||
	    sb->member_index >= sb->nr_members ||
	    sb->meta_member >= sb->nr_members) {
		*why = "member count or index out of range";
		return -EUCLEAN;
	}
	if (sb->low_water_pct > 100 ||
	    (sb->nospace_policy != CAIRN_NOSPACE_FAIL &&
	     sb->nospace_policy != CAIRN_NOSPACE_QUEUE)) {
		*why = "threshold or no-space policy out of range";
		return -EUCLEAN;
	}
	if (!cairn_zero(d->padding, sizeof(d->padding))) {
		*why = "superblock padding is not zero";
		return -EUCLEAN;
	}

	for (i = 0; i < CAIRN_MAX_MEMBERS; i++) {
		if (i >= sb->nr_members) {
			if (!cairn_zero(&d->members[i], sizeof(d->members[i]))) {
				*why = "unused member slot is not zero";
				return -EUCLEAN;
			}
			continue;
		}
		r = cairn_member_decode(&d->members[i], &sb->members[i],
					sb->chunk_shift, why);
		if (r)
			return r;
		for (j = 0; j < i; j++) {
			if (!memcmp(sb->members[i].uuid, sb->members[j].uuid,
				    CAIRN_UUID_SIZE)) {
				*why = "two members with the same UUID";
				return -EUCLEAN;
			}
		}
	}
	if (memcmp(sb->members[sb->member_index].uuid, sb->member_uuid,
		   CAIRN_UUID_SIZE)) {
		*why = "member UUID does not match the member table";
		return -EUCLEAN;
	}

	return cairn_super_check_meta(sb, why);
}
