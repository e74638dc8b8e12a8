// SPDX-License-Identifier: GPL-2.0
/*
 * Simulated block devices (see simdev.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simdev.h"

static const u8 sim_zero[CAIRN_BLOCK_SIZE];

static u64 sim_key(unsigned int dev, u64 block)
{
	return (((u64)dev << 56) | block) + 1;
}

static size_t sim_hash(u64 key, size_t n)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return key & (n - 1);
}

void sim_init(struct simdev *s, unsigned int nr_devs, const u64 *nr_blocks)
{
	memset(s, 0, sizeof(*s));
	s->nr_devs = nr_devs;
	memcpy(s->nr_blocks, nr_blocks, nr_devs * sizeof(*nr_blocks));
	s->nr_slots = 1024;
	s->slots = calloc(s->nr_slots, sizeof(*s->slots));
}

void sim_clear(struct simdev *s)
{
	size_t i;

	for (i = 0; i < s->nr_slots; i++)
		if (s->slots[i].owned)
			free((void *)s->slots[i].data);
	memset(s->slots, 0, s->nr_slots * sizeof(*s->slots));
	s->used = 0;
}

void sim_destroy(struct simdev *s)
{
	size_t i;

	sim_clear(s);
	free(s->slots);
	for (i = 0; i < s->nr_ops; i++)
		free((void *)s->ops[i].data);
	free(s->ops);
	memset(s, 0, sizeof(*s));
}

static struct sim_slot *sim_find(const struct simdev *s, u64 key)
{
	size_t i = sim_hash(key, s->nr_slots);

	while (s->slots[i].key && s->slots[i].key != key)
		i = (i + 1) & (s->nr_slots - 1);
	return &s->slots[i];
}

static void sim_grow(struct simdev *s)
{
	struct sim_slot *old = s->slots;
	size_t n = s->nr_slots, i;

	s->nr_slots *= 2;
	s->slots = calloc(s->nr_slots, sizeof(*s->slots));
	for (i = 0; i < n; i++)
		if (old[i].key)
			*sim_find(s, old[i].key) = old[i];
	free(old);
}

const u8 *sim_peek(const struct simdev *s, unsigned int dev, u64 block)
{
	struct sim_slot *slot = sim_find(s, sim_key(dev, block));

	return slot->key ? slot->data : sim_zero;
}

void sim_put(struct simdev *s, unsigned int dev, u64 block, const u8 *data,
	     bool copy)
{
	struct sim_slot *slot;

	if (s->used * 2 >= s->nr_slots)
		sim_grow(s);
	slot = sim_find(s, sim_key(dev, block));
	if (!slot->key) {
		slot->key = sim_key(dev, block);
		s->used++;
	} else if (slot->owned) {
		free((void *)slot->data);
	}
	if (copy) {
		u8 *p = malloc(CAIRN_BLOCK_SIZE);

		memcpy(p, data, CAIRN_BLOCK_SIZE);
		slot->data = p;
	} else {
		slot->data = data;
	}
	slot->owned = copy;
}

static int sim_fault(struct simdev *s)
{
	if (s->fail_in > 0 && --s->fail_in == 0)
		return -EIO;
	return 0;
}

static void sim_log(struct simdev *s, enum sim_op_kind kind, unsigned int dev,
		    u64 block, const void *buf)
{
	struct sim_op *op;
	u8 *data = NULL;

	if (!s->record)
		return;
	if (s->nr_ops == s->cap_ops) {
		s->cap_ops = s->cap_ops ? s->cap_ops * 2 : 1024;
		s->ops = realloc(s->ops, s->cap_ops * sizeof(*s->ops));
	}
	if (buf) {
		data = malloc(CAIRN_BLOCK_SIZE);
		memcpy(data, buf, CAIRN_BLOCK_SIZE);
	}
	op = &s->ops[s->nr_ops++];
	op->kind = kind;
	op->dev = dev;
	op->block = block;
	op->data = data;
}

static int sim_read(void *ctx, unsigned int dev, u64 block, void *buf)
{
	struct simdev *s = ctx;

	if (dev >= s->nr_devs || block >= s->nr_blocks[dev]) {
		fprintf(stderr, "simdev: read beyond device %u block %llu\n",
			dev, (unsigned long long)block);
		abort();
	}
	s->reads++;
	memcpy(buf, sim_peek(s, dev, block), CAIRN_BLOCK_SIZE);
	return 0;
}

static int sim_write(void *ctx, unsigned int dev, u64 block, const void *buf)
{
	struct simdev *s = ctx;
	int r;

	if (dev >= s->nr_devs || block >= s->nr_blocks[dev]) {
		fprintf(stderr, "simdev: write beyond device %u block %llu\n",
			dev, (unsigned long long)block);
		abort();
	}
	r = sim_fault(s);
	if (r)
		return r;
	s->writes++;
	sim_log(s, SIM_WRITE, dev, block, buf);
	sim_put(s, dev, block, buf, true);
	return 0;
}

static int sim_flush(void *ctx, unsigned int dev)
{
	struct simdev *s = ctx;
	int r;

	r = sim_fault(s);
	if (r)
		return r;
	s->flushes++;
	sim_log(s, SIM_FLUSH, dev, 0, NULL);
	return 0;
}

static void sim_event(void *ctx, const struct cairn_event *ev)
{
	struct simdev *s = ctx;

	s->events[s->nr_events++ % ARRAY_SIZE(s->events)] = *ev;
}

const struct cairn_io_ops sim_io_ops = {
	.read = sim_read,
	.write = sim_write,
	.flush = sim_flush,
	.event = sim_event,
};
