// SPDX-License-Identifier: GPL-2.0
/*
 * The device-mapper target "cairn": one thin volume of a Cairn pool.
 *
 * A volume's block device is /dev/mapper/cairn-<pool>-<volume>, created from
 * userland with libdevmapper.  The pool must already be assembled (created
 * or opened over the "cairn" generic netlink family) and must hold the
 * volume; the target never assembles a pool on its own, so a table can not
 * name disks behind the pool's back.  While a table uses a volume, neither
 * the volume can be deleted nor its pool closed.
 *
 * map() never sleeps and takes no lock: a read or write of a mapped chunk
 * is remapped to its member; a read of an unmapped chunk returns zeros;
 * everything else goes to the pool's worker (cairn_pool.c).
 */
#include <linux/module.h>
#include <linux/device-mapper.h>

#include "cairn.h"
#include "core/names.h"

/*
 * Construct a cairn volume mapping:
 *
 *   cairn <pool name> <volume name>
 *
 * Both names follow cairn_name_check(): 1-64 characters of [A-Za-z0-9._-].
 * The table's length may not exceed the volume's size.
 */
static int cairn_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct cairn_kpool *kp;
	struct cairn_volume *vol;
	struct cairn_kvol *kv;
	int r;

	if (argc != 2) {
		ti->error = "Invalid argument count: expected <pool> <volume>";
		return -EINVAL;
	}
	if (cairn_name_check(argv[0], strlen(argv[0]) + 1)) {
		ti->error = "Invalid pool name";
		return -EINVAL;
	}
	if (cairn_name_check(argv[1], strlen(argv[1]) + 1)) {
		ti->error = "Invalid volume name";
		return -EINVAL;
	}
	kv = kzalloc(sizeof(*kv), GFP_KERNEL);
	if (!kv) {
		ti->error = "Out of memory";
		return -ENOMEM;
	}

	/* Volumes are served from assembled pools only. */
	mutex_lock(&cairn_registry.lock);
	kp = cairn_kpool_find(argv[0]);
	if (!kp) {
		ti->error = "Pool not found";
		r = -ENODEV;
		goto out_unlock;
	}
	mutex_lock(&kp->lock);
	vol = cairn_volume_find(kp->core, argv[1]);
	if (!vol) {
		ti->error = "Volume not found";
		r = -ENOENT;
		goto out_unlock_pool;
	}
	if (ti->len > vol->size >> SECTOR_SHIFT) {
		ti->error = "Table is longer than the volume";
		r = -EINVAL;
		goto out_unlock_pool;
	}
	r = dm_set_target_max_io_len(ti, 1U << kp->chunk_shift);
	if (r) {
		ti->error = "Cannot set the chunk as I/O boundary";
		goto out_unlock_pool;
	}
	kv->kp = kp;
	kv->vol = vol;
	kv->ti = ti;
	list_add(&kv->list, &kp->volumes);
	kp->nr_volumes_open++;
	mutex_unlock(&kp->lock);
	mutex_unlock(&cairn_registry.lock);

	ti->private = kv;
	ti->num_flush_bios = 1;
	ti->flush_supported = true;
	ti->num_discard_bios = 1;
	ti->discards_supported = true;
	ti->per_io_data_size = sizeof(struct cairn_bio);
	return 0;

out_unlock_pool:
	mutex_unlock(&kp->lock);
out_unlock:
	mutex_unlock(&cairn_registry.lock);
	kfree(kv);
	return r;
}

static void cairn_dtr(struct dm_target *ti)
{
	struct cairn_kvol *kv = ti->private;
	struct cairn_kpool *kp = kv->kp;

	mutex_lock(&cairn_registry.lock);
	mutex_lock(&kp->lock);
	list_del(&kv->list);
	kp->nr_volumes_open--;
	mutex_unlock(&kp->lock);
	mutex_unlock(&cairn_registry.lock);
	kfree(kv);
}

static int cairn_map(struct dm_target *ti, struct bio *bio)
{
	struct cairn_kvol *kv = ti->private;
	struct cairn_kpool *kp = kv->kp;
	struct cairn_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	u64 vchunk, pchunk;
	u32 member;

	pb->kv = kv;
	pb->queued = 0;
	pb->member = U32_MAX;
	bio->bi_iter.bi_sector = dm_target_offset(ti, bio->bi_iter.bi_sector);

	if ((op_is_flush(bio->bi_opf) && !bio_sectors(bio)) ||
	    bio_op(bio) == REQ_OP_DISCARD) {
		cairn_kpool_defer(kp, bio);
		return DM_MAPIO_SUBMITTED;
	}

	vchunk = bio->bi_iter.bi_sector >> kp->chunk_shift;
	if (cairn_lookup(kv->vol, vchunk, &member, &pchunk)) {
		if (op_is_write(bio_op(bio))) {
			if (READ_ONCE(kp->core->mode) >= CAIRN_MODE_READ_ONLY)
				return DM_MAPIO_KILL;
			/* FUA: the mapping must be durable too. */
			if ((bio->bi_opf & REQ_FUA) && READ_ONCE(kp->core->txn_bytes)) {
				cairn_kpool_defer(kp, bio);
				return DM_MAPIO_SUBMITTED;
			}
		}
		cairn_count(kp, op_is_write(bio_op(bio)) ? CAIRN_CNT_WRITES :
							    CAIRN_CNT_READS);
		cairn_kpool_remap(kp, bio, member, pchunk);
		return DM_MAPIO_REMAPPED;
	}
	if (!op_is_write(bio_op(bio))) {
		cairn_count(kp, CAIRN_CNT_ZERO_READS);
		zero_fill_bio(bio);
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	}
	cairn_kpool_defer(kp, bio);
	return DM_MAPIO_SUBMITTED;
}

static int cairn_end_io(struct dm_target *ti, struct bio *bio,
			blk_status_t *err)
{
	struct cairn_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	struct cairn_kpool *kp = pb->kv->kp;

	if (*err && pb->member != U32_MAX && *err != BLK_STS_NOTSUPP) {
		DMERR_LIMIT("%s: I/O error on member %u", kp->name, pb->member);
		cairn_kpool_member_error(kp, pb->member);
	}
	return DM_ENDIO_DONE;
}

/*
 * Status line is:
 *   <pool> <volume> <size bytes> <mapped bytes> <chunk bytes> <pool mode>
 * with the pool mode one of write, out-of-space, read-only, failed.
 * Table line is the constructor's: <pool> <volume>.
 */
static void cairn_status(struct dm_target *ti, status_type_t type,
			 unsigned int status_flags, char *result,
			 unsigned int maxlen)
{
	struct cairn_kvol *kv = ti->private;
	struct cairn_pool *core = kv->kp->core;
	unsigned int sz = 0;

	switch (type) {
	case STATUSTYPE_INFO:
		DMEMIT("%s %s %llu %llu %u %s", kv->kp->name, kv->vol->name,
		       kv->vol->size,
		       READ_ONCE(kv->vol->nr_mapped) << core->sb.chunk_shift,
		       1U << core->sb.chunk_shift,
		       cairn_mode_name(READ_ONCE(core->mode)));
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s %s", kv->kp->name, kv->vol->name);
		break;
	case STATUSTYPE_IMA:
		*result = '\0';
		break;
	}
}

/*
 * The members belong to the pool, which holds them exclusively, not to the
 * table: there are no table devices to report.  Their limits are stacked
 * by cairn_io_hints() instead (dm calls io_hints only for targets that
 * have this method).
 */
static int cairn_iterate_devices(struct dm_target *ti,
				 iterate_devices_callout_fn fn, void *data)
{
	return 0;
}

/*
 * Block sizes: the largest of the members'.  Discards free whole chunks;
 * I/O is best done a chunk at a time.
 */
static void cairn_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	struct cairn_kvol *kv = ti->private;
	struct cairn_kpool *kp = kv->kp;
	unsigned int chunk = 1U << kp->core->sb.chunk_shift;
	unsigned int lbs = 512, pbs = 512, i;

	/* The device list changes under the registry lock (add member). */
	mutex_lock(&cairn_registry.lock);
	for (i = 0; i < kp->nr_devs; i++) {
		lbs = max(lbs, bdev_logical_block_size(kp->bdev[i]));
		pbs = max(pbs, bdev_physical_block_size(kp->bdev[i]));
	}
	mutex_unlock(&cairn_registry.lock);
	blk_limits_io_min(limits, pbs);
	limits->logical_block_size = max(limits->logical_block_size, lbs);
	limits->physical_block_size = max(limits->physical_block_size, pbs);
	limits->discard_granularity = chunk;
	/*
	 * A discard holds the pool's lock while it runs: at most 256 MiB (and
	 * at least one chunk) at a time.  Over iSCSI this is the MAXIMUM
	 * UNMAP LBA COUNT the initiator sees.
	 */
	limits->max_discard_sectors = max(chunk >> SECTOR_SHIFT,
					  CAIRN_MAX_DISCARD_SECTORS);
	limits->max_hw_discard_sectors = limits->max_discard_sectors;
	blk_limits_io_opt(limits, chunk);
}

static struct target_type cairn_target = {
	.name = "cairn",
	.version = { CAIRN_TARGET_MAJOR, CAIRN_TARGET_MINOR, CAIRN_TARGET_PATCH },
	.module = THIS_MODULE,
	.ctr = cairn_ctr,
	.dtr = cairn_dtr,
	.map = cairn_map,
	.end_io = cairn_end_io,
	.status = cairn_status,
	.io_hints = cairn_io_hints,
	.iterate_devices = cairn_iterate_devices,
};

int __init cairn_target_init(void)
{
	int r;

	r = dm_register_target(&cairn_target);
	if (r)
		DMERR("target registration failed: %d", r);

	return r;
}

void cairn_target_exit(void)
{
	dm_unregister_target(&cairn_target);
}
