/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Simulated block devices for the core's userspace tests: sparse, 4 KiB
 * blocks, several devices, every write and flush recorded in order so the
 * crash harness can rebuild what a power cut may leave.  Fault injection:
 * fail the Nth write or flush from now with -EIO.
 */
#ifndef CAIRN_SIMDEV_H
#define CAIRN_SIMDEV_H

#include <stdbool.h>
#include <stddef.h>

#include "core/pool.h"

#define SIM_MAX_DEVS 8

enum sim_op_kind { SIM_WRITE, SIM_FLUSH };

struct sim_op {
	enum sim_op_kind kind;
	unsigned int dev;
	u64 block;
	const u8 *data;		/* owned by the log */
};

struct sim_slot {
	u64 key;		/* (dev << 56 | block) + 1; 0 = empty */
	const u8 *data;
	bool owned;
};

struct simdev {
	unsigned int nr_devs;
	u64 nr_blocks[SIM_MAX_DEVS];
	struct sim_slot *slots;	/* open addressing */
	size_t nr_slots, used;
	bool record;
	struct sim_op *ops;
	size_t nr_ops, cap_ops;
	long fail_in;		/* >0: the fail_in-th I/O from now fails */
	u64 writes, flushes, reads;
	struct cairn_event events[64];	/* the last ones, for tests */
	unsigned int nr_events;
};

extern const struct cairn_io_ops sim_io_ops;

void sim_init(struct simdev *s, unsigned int nr_devs, const u64 *nr_blocks);
void sim_destroy(struct simdev *s);		/* frees the op log too */
void sim_clear(struct simdev *s);		/* forget contents, keep log */
const u8 *sim_peek(const struct simdev *s, unsigned int dev, u64 block);
void sim_put(struct simdev *s, unsigned int dev, u64 block, const u8 *data,
	     bool copy);

#endif /* CAIRN_SIMDEV_H */
