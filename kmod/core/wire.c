// SPDX-License-Identifier: GPL-2.0
/*
 * The replication protocol's codec (see wire.h for the layout).
 *
 * Bodies are read and written field by field with the unaligned big-endian
 * helpers, at offsets spelled out once in the tables below, so no struct
 * layout or padding of either compiler ever reaches the wire.
 */
#include "wire.h"

#define HELLO_SIZE	168
#define DATA_SIZE	32
#define ACK_SIZE	16
#define PING_SIZE	8
#define RSREQ_SIZE	24
#define BITMAP_SIZE	16

/* Largest byte offset a range may reach: 2^63, as the block layer. */
#define MAX_SECTOR	BIT_ULL(54)
/* Bits of the largest bitmap: 2^63 bytes at the finest grain (4 KiB). */
#define MAX_BITS	BIT_ULL(51)

static const struct {
	const char *name;
	unsigned int size;
} cmds[__CAIRN_W_MAX] = {
	[CAIRN_W_HELLO] = { "HELLO", HELLO_SIZE },
	[CAIRN_W_DATA] = { "DATA", DATA_SIZE },
	[CAIRN_W_WRITE_ACK] = { "WRITE_ACK", ACK_SIZE },
	[CAIRN_W_NEG_ACK] = { "NEG_ACK", ACK_SIZE },
	[CAIRN_W_FLUSH] = { "FLUSH", ACK_SIZE },
	[CAIRN_W_FLUSH_ACK] = { "FLUSH_ACK", ACK_SIZE },
	[CAIRN_W_PING] = { "PING", PING_SIZE },
	[CAIRN_W_PING_ACK] = { "PING_ACK", PING_SIZE },
	[CAIRN_W_RS_REQUEST] = { "RS_REQUEST", RSREQ_SIZE },
	[CAIRN_W_RS_NACK] = { "RS_NACK", ACK_SIZE },
	[CAIRN_W_BITMAP] = { "BITMAP", BITMAP_SIZE },
};

static_assert(HELLO_SIZE == CAIRN_WIRE_BODY_MAX, "HELLO is the largest body");

unsigned int cairn_wire_body_size(unsigned int cmd)
{
	return cmd < __CAIRN_W_MAX ? cmds[cmd].size : 0;
}

const char *cairn_wire_cmd_name(unsigned int cmd)
{
	return cairn_wire_body_size(cmd) ? cmds[cmd].name : "unknown";
}

static int refuse(const char **why, const char *reason)
{
	*why = reason;
	return -EPROTO;
}

int cairn_wire_decode_header(const void *hdr, struct cairn_wire_msg *m,
			     const char **why)
{
	const u8 *p = hdr;
	unsigned int fixed;

	memset(m, 0, sizeof(*m));
	if (get_unaligned_be32(p) != CAIRN_WIRE_MAGIC)
		return refuse(why, "bad magic (not a Cairn replication stream)");
	if (get_unaligned_be16(p + 4) != CAIRN_WIRE_VERSION)
		return refuse(why, "unsupported protocol version");
	m->cmd = get_unaligned_be16(p + 6);
	m->length = get_unaligned_be32(p + 8);
	if (get_unaligned_be32(p + 12))
		return refuse(why, "reserved header field not zero");
	fixed = cairn_wire_body_size(m->cmd);
	if (!fixed)
		return refuse(why, "unknown command");
	if (m->length < fixed)
		return refuse(why, "message shorter than its command's body");
	if (m->cmd == CAIRN_W_DATA) {
		if (m->length > DATA_SIZE + CAIRN_WIRE_MAX_DATA)
			return refuse(why, "DATA payload over the limit");
	} else if (m->cmd == CAIRN_W_BITMAP) {
		if (m->length > BITMAP_SIZE + CAIRN_WIRE_MAX_BITS / 8)
			return refuse(why, "BITMAP payload over the limit");
	} else if (m->length != fixed) {
		return refuse(why, "length does not match the command");
	}
	return 0;
}

/* A byte range of @size at @sector: whole sectors, inside 2^63 bytes. */
static int check_range(u64 sector, u32 size, const char **why)
{
	if (!size || size & 511)
		return refuse(why, "size not a positive multiple of 512");
	if (sector >= MAX_SECTOR || sector + (size >> 9) > MAX_SECTOR)
		return refuse(why, "range past the largest device");
	return 0;
}

static int decode_hello(const u8 *p, struct cairn_wire_hello *h,
			const char **why)
{
	const char *name = (const char *)p + 32;
	size_t len;
	unsigned int i;
	u64 bits;

	memcpy(h->uuid, p, 16);
	memcpy(h->node_uuid, p + 16, 16);
	if (cairn_name_check(name, CAIRN_NAME_LEN))
		return refuse(why, "HELLO: bad volume name");
	len = strnlen(name, CAIRN_NAME_LEN);
	for (i = len; i < CAIRN_NAME_LEN; i++)
		if (name[i])
			return refuse(why, "HELLO: bytes after the name's end");
	memcpy(h->name, name, len);
	h->name[len] = '\0';
	h->size = get_unaligned_be64(p + 96);
	h->grain_shift = get_unaligned_be32(p + 104);
	h->role = get_unaligned_be32(p + 108);
	h->disk = get_unaligned_be32(p + 112);
	if (get_unaligned_be32(p + 116))
		return refuse(why, "HELLO: reserved field not zero");
	h->gen_current = get_unaligned_be64(p + 120);
	h->gen_bitmap = get_unaligned_be64(p + 128);
	for (i = 0; i < CAIRN_WIRE_NR_HISTORY; i++)
		h->gen_history[i] = get_unaligned_be64(p + 136 + 8 * i);
	h->dirty_bits = get_unaligned_be64(p + 152);
	h->mapped = get_unaligned_be64(p + 160);

	if (!h->size || h->size & 511 || h->size > MAX_SECTOR << 9)
		return refuse(why, "HELLO: bad volume size");
	if (h->grain_shift < 12 || h->grain_shift > 30)
		return refuse(why, "HELLO: bitmap granularity out of range");
	if (h->role != CAIRN_WIRE_PRIMARY && h->role != CAIRN_WIRE_SECONDARY)
		return refuse(why, "HELLO: unknown role");
	if (h->disk > CAIRN_WIRE_CONSISTENT)
		return refuse(why, "HELLO: unknown disk state");
	bits = (h->size + (1ULL << h->grain_shift) - 1) >> h->grain_shift;
	if (h->dirty_bits > bits)
		return refuse(why, "HELLO: more dirty bits than the volume has");
	if (h->mapped > h->size)
		return refuse(why, "HELLO: more bytes mapped than the volume has");
	return 0;
}

static void encode_hello(u8 *p, const struct cairn_wire_hello *h)
{
	unsigned int i;

	memcpy(p, h->uuid, 16);
	memcpy(p + 16, h->node_uuid, 16);
	memset(p + 32, 0, CAIRN_NAME_LEN);
	memcpy(p + 32, h->name, strnlen(h->name, CAIRN_NAME_LEN));
	put_unaligned_be64(h->size, p + 96);
	put_unaligned_be32(h->grain_shift, p + 104);
	put_unaligned_be32(h->role, p + 108);
	put_unaligned_be32(h->disk, p + 112);
	put_unaligned_be32(0, p + 116);
	put_unaligned_be64(h->gen_current, p + 120);
	put_unaligned_be64(h->gen_bitmap, p + 128);
	for (i = 0; i < CAIRN_WIRE_NR_HISTORY; i++)
		put_unaligned_be64(h->gen_history[i], p + 136 + 8 * i);
	put_unaligned_be64(h->dirty_bits, p + 152);
	put_unaligned_be64(h->mapped, p + 160);
}

static int decode_data(const u8 *p, struct cairn_wire_msg *m,
		       const char **why)
{
	struct cairn_wire_data *d = &m->data;
	u32 rest = m->length - DATA_SIZE;
	u32 range;
	int r;

	d->sector = get_unaligned_be64(p);
	d->cookie = get_unaligned_be64(p + 8);
	d->seq = get_unaligned_be32(p + 16);
	d->flags = get_unaligned_be32(p + 20);
	d->size = get_unaligned_be32(p + 24);
	if (get_unaligned_be32(p + 28))
		return refuse(why, "DATA: reserved field not zero");
	if (d->flags & ~CAIRN_WF_ALL)
		return refuse(why, "DATA: unknown flags");
	range = d->flags & (CAIRN_WF_DISCARD | CAIRN_WF_ZEROES |
			    CAIRN_WF_UNMAPPED);
	if (range & (range - 1))
		return refuse(why, "DATA: conflicting flags");
	if (d->flags & CAIRN_WF_UNMAPPED && !(d->flags & CAIRN_WF_RESYNC))
		return refuse(why, "DATA: UNMAPPED without RESYNC");
	if (d->flags & CAIRN_WF_RESYNC && d->flags & CAIRN_WF_FUA)
		return refuse(why, "DATA: FUA on resync data");
	r = check_range(d->sector, d->size, why);
	if (r)
		return r;
	if (range) {
		if (rest)
			return refuse(why, "DATA: payload on a range command");
	} else {
		if (d->size > CAIRN_WIRE_MAX_DATA)
			return refuse(why, "DATA: size over the limit");
		if (rest != d->size)
			return refuse(why, "DATA: payload does not match size");
	}
	m->payload = rest;
	return 0;
}

int cairn_wire_decode_body(const void *body, struct cairn_wire_msg *m,
			   const char **why)
{
	const u8 *p = body;
	u64 last;

	m->payload = 0;
	switch (m->cmd) {
	case CAIRN_W_HELLO:
		return decode_hello(p, &m->hello, why);
	case CAIRN_W_DATA:
		return decode_data(p, m, why);
	case CAIRN_W_PING:
	case CAIRN_W_PING_ACK:
		m->ack.cookie = get_unaligned_be64(p);
		return 0;
	case CAIRN_W_RS_REQUEST:
		m->data.sector = get_unaligned_be64(p);
		m->data.cookie = get_unaligned_be64(p + 8);
		m->data.size = get_unaligned_be32(p + 16);
		if (get_unaligned_be32(p + 20))
			return refuse(why, "RS_REQUEST: reserved field not zero");
		if (m->data.size > CAIRN_WIRE_MAX_DATA)
			return refuse(why, "RS_REQUEST: size over the limit");
		return check_range(m->data.sector, m->data.size, why);
	case CAIRN_W_BITMAP:
		m->bitmap.first = get_unaligned_be64(p);
		m->bitmap.nbits = get_unaligned_be32(p + 8);
		if (get_unaligned_be32(p + 12))
			return refuse(why, "BITMAP: reserved field not zero");
		if (!m->bitmap.nbits || m->bitmap.nbits > CAIRN_WIRE_MAX_BITS)
			return refuse(why, "BITMAP: bit count out of range");
		last = m->bitmap.first + m->bitmap.nbits;
		if (m->bitmap.first >= MAX_BITS || last > MAX_BITS)
			return refuse(why, "BITMAP: bits past the largest device");
		if (m->length - BITMAP_SIZE != (m->bitmap.nbits + 7) / 8)
			return refuse(why, "BITMAP: payload does not match the bit count");
		m->payload = m->length - BITMAP_SIZE;
		return 0;
	case CAIRN_W_FLUSH:
	case CAIRN_W_WRITE_ACK:
	case CAIRN_W_NEG_ACK:
	case CAIRN_W_FLUSH_ACK:
	case CAIRN_W_RS_NACK:
		m->ack.cookie = get_unaligned_be64(p);
		m->ack.seq = get_unaligned_be32(p + 8);
		m->ack.status = get_unaligned_be32(p + 12);
		if (m->cmd == CAIRN_W_FLUSH && m->ack.status)
			return refuse(why, "FLUSH: reserved field not zero");
		if ((m->cmd == CAIRN_W_NEG_ACK || m->cmd == CAIRN_W_RS_NACK) ==
		    !m->ack.status)
			return refuse(why, "ACK: status does not match the command");
		if (m->ack.status > 4095)
			return refuse(why, "ACK: status out of range");
		return 0;
	}
	return refuse(why, "unknown command");
}

unsigned int cairn_wire_encode(void *buf, const struct cairn_wire_msg *m)
{
	unsigned int fixed = cairn_wire_body_size(m->cmd);
	u8 *p = (u8 *)buf + CAIRN_WIRE_HDR_SIZE;

	put_unaligned_be32(CAIRN_WIRE_MAGIC, buf);
	put_unaligned_be16(CAIRN_WIRE_VERSION, (u8 *)buf + 4);
	put_unaligned_be16(m->cmd, (u8 *)buf + 6);
	put_unaligned_be32(fixed + m->payload, (u8 *)buf + 8);
	put_unaligned_be32(0, (u8 *)buf + 12);
	memset(p, 0, fixed);

	switch (m->cmd) {
	case CAIRN_W_HELLO:
		encode_hello(p, &m->hello);
		break;
	case CAIRN_W_DATA:
		put_unaligned_be64(m->data.sector, p);
		put_unaligned_be64(m->data.cookie, p + 8);
		put_unaligned_be32(m->data.seq, p + 16);
		put_unaligned_be32(m->data.flags, p + 20);
		put_unaligned_be32(m->data.size, p + 24);
		break;
	case CAIRN_W_RS_REQUEST:
		put_unaligned_be64(m->data.sector, p);
		put_unaligned_be64(m->data.cookie, p + 8);
		put_unaligned_be32(m->data.size, p + 16);
		break;
	case CAIRN_W_BITMAP:
		put_unaligned_be64(m->bitmap.first, p);
		put_unaligned_be32(m->bitmap.nbits, p + 8);
		break;
	case CAIRN_W_PING:
	case CAIRN_W_PING_ACK:
		put_unaligned_be64(m->ack.cookie, p);
		break;
	default:
		put_unaligned_be64(m->ack.cookie, p);
		put_unaligned_be32(m->ack.seq, p + 8);
		put_unaligned_be32(m->ack.status, p + 12);
		break;
	}
	return CAIRN_WIRE_HDR_SIZE + fixed;
}
