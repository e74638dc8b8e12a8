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
 * This file is only the adapter: the volume belongs to the pool and map()
 * hands each bio to the volume's entry point -- through the mirror when the
 * volume is mirrored (cairn_mirror.c), else cairn_vol_map() directly (see
 * the essay in cairn_volume.c) -- with dm's per-bio data as its state.
 * A table reload makes a second user of the same volume object.
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

	/* Volumes are served from assembled pools only. */
	mutex_lock(&cairn_registry.lock);
	kp = cairn_kpool_find(argv[0]);
	if (!kp) {
		ti->error = "Pool not found";
		r = -ENODEV;
		goto out_unlock;
	}
	mutex_lock(&kp->lock);
	kv = cairn_kvol_find(kp, argv[1]);
	if (!kv) {
		ti->error = "Volume not found";
		r = -ENOENT;
		goto out_unlock_pool;
	}
	if (ti->len > kv->vol->size >> SECTOR_SHIFT) {
		ti->error = "Table is longer than the volume";
		r = -EINVAL;
		goto out_unlock_pool;
	}
	/* A chunk, or what one mirror message carries. */
	r = dm_set_target_max_io_len(ti, min_t(u32, 1U << kp->chunk_shift,
					       CAIRN_WIRE_MAX_DATA >> SECTOR_SHIFT));
	if (r) {
		ti->error = "Cannot set the chunk as I/O boundary";
		goto out_unlock_pool;
	}
	r = cairn_vol_attach(kv, ti);
	if (r) {
		ti->error = "Out of memory";
		goto out_unlock_pool;
	}
	if (!kv->users++)
		kp->nr_volumes_open++;
	mutex_unlock(&kp->lock);
	mutex_unlock(&cairn_registry.lock);

	ti->private = kv;
	ti->num_flush_bios = 1;
	ti->flush_supported = true;
	ti->num_discard_bios = 1;
	ti->discards_supported = true;
	ti->per_io_data_size = sizeof(struct cairn_mreq);
	return 0;

out_unlock_pool:
	mutex_unlock(&kp->lock);
out_unlock:
	mutex_unlock(&cairn_registry.lock);
	return r;
}

static void cairn_dtr(struct dm_target *ti)
{
	struct cairn_kvol *kv = ti->private;
	struct cairn_kpool *kp = kv->kp;

	mutex_lock(&cairn_registry.lock);
	mutex_lock(&kp->lock);
	cairn_vol_detach(kv, ti);
	if (!--kv->users)
		kp->nr_volumes_open--;
	mutex_unlock(&kp->lock);
	mutex_unlock(&cairn_registry.lock);
}

/* The adapter: the volume's entry point does the work. */
static int cairn_map(struct dm_target *ti, struct bio *bio)
{
	bio->bi_iter.bi_sector = dm_target_offset(ti, bio->bi_iter.bi_sector);
	return cairn_mirror_map(ti->private, bio,
				dm_per_bio_data(bio, sizeof(struct cairn_mreq)));
}

static int cairn_end_io(struct dm_target *ti, struct bio *bio,
			blk_status_t *err)
{
	cairn_mirror_end_io(dm_per_bio_data(bio, sizeof(struct cairn_mreq)), err);
	return DM_ENDIO_DONE;
}

static void cairn_presuspend(struct dm_target *ti)
{
	cairn_vol_presuspend(ti->private, dm_noflush_suspending(ti));
}

static void cairn_resume(struct dm_target *ti)
{
	cairn_vol_resume(ti->private);
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
 * table: dm_get_device() would have to open them a second time, and their
 * exclusive claim by the pool makes that fail.  So there are no dm_devs to
 * report here; instead the members' limits are stacked by cairn_io_hints()
 * (dm calls it whether or not devices were reported) and the holder links
 * (/sys/block/<member>/holders/dm-N) are made by the volume layer
 * (cairn_vol_attach()).
 */
static int cairn_iterate_devices(struct dm_target *ti,
				 iterate_devices_callout_fn fn, void *data)
{
	return 0;
}

/*
 * Every member's queue limits stacked as dm would for table devices (block
 * sizes, segment and transfer limits, alignment of its data area).  Discards
 * free whole chunks; I/O is best done a chunk at a time.
 */
static void cairn_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	struct cairn_kvol *kv = ti->private;
	struct cairn_kpool *kp = kv->kp;
	unsigned int chunk = 1U << kp->core->sb.chunk_shift, i;

	/* The device list changes under the registry lock (add member). */
	mutex_lock(&cairn_registry.lock);
	for (i = 0; i < kp->core->sb.nr_members; i++) {
		struct cairn_member *m = &kp->core->members[i];
		struct block_device *bdev = kp->bdev[m->dev];
		sector_t start = get_start_sect(bdev) +
				 (m->info.data_start << (CAIRN_BLOCK_SHIFT - SECTOR_SHIFT));

		if (blk_stack_limits(limits, &bdev_get_queue(bdev)->limits, start) < 0)
			DMWARN("%s: member %u (%pg) is misaligned for its data area",
			       kp->name, i, bdev);
	}
	mutex_unlock(&cairn_registry.lock);
	blk_limits_io_min(limits, limits->physical_block_size);
	limits->discard_granularity = chunk;
	/*
	 * A discard is worked through a batch of chunks at a time: at most
	 * 256 MiB (and at least one chunk) per bio.  Over iSCSI this is the
	 * MAXIMUM UNMAP LBA COUNT the initiator sees.
	 */
	limits->max_discard_sectors = max(chunk >> SECTOR_SHIFT,
					  CAIRN_MAX_DISCARD_SECTORS);
	limits->max_hw_discard_sectors = limits->max_discard_sectors;
	limits->discard_alignment = 0;
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
	.presuspend = cairn_presuspend,
	.resume = cairn_resume,
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
