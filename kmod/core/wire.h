/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The replication protocol between two Cairn nodes: wire layout and codec,
 * shared by cairn.ko (the link's sender and receivers) and userland (the
 * fuzzer, the unit tests, tools that speak to a port).
 *
 * A stream is a sequence of messages.  Each is a 16-byte header, a fixed
 * body whose size depends only on the command, and for DATA and BITMAP a
 * payload whose size the body states:
 *
 *   header   magic be32 | version be16 | cmd be16 | length be32 | zero be32
 *            length = bytes after the header (fixed body + payload)
 *   HELLO    volume identity and state, sent by both sides first
 *   DATA     sector be64 | cookie be64 | seq be32 | flags be32 |
 *            size be32 | zero be32, then size bytes unless DISCARD,
 *            ZEROES or UNMAPPED
 *   WRITE_ACK, NEG_ACK, FLUSH_ACK, RS_NACK
 *            cookie be64 | seq be32 | status be32
 *   FLUSH    cookie be64 | seq be32 | zero be32: ordered after every DATA
 *            of a lower seq; acked when those are on stable storage
 *   PING, PING_ACK
 *            cookie be64
 *   RS_REQUEST
 *            sector be64 | cookie be64 | size be32 | zero be32: the sync
 *            target pulls a region (on-demand resync); answered by DATA
 *            with RESYNC set and the same cookie, or RS_NACK
 *   BITMAP   first be64 | nbits be32 | zero be32, then ceil(nbits/8)
 *            bytes: a part of the sender's out-of-sync bitmap
 *
 * Every multi-byte field is big-endian (network order).  The version is
 * exact: this code speaks version 1 and refuses anything else, so a later
 * version must negotiate before it changes a layout.  Reserved fields must
 * be zero and are checked, so they can be given a meaning later.
 *
 * The decoder trusts nothing: an unknown command, a length that does not
 * match the command, a payload over the limit, a sector range past 2^63
 * bytes, unknown flags, or a payload size that is not a whole number of
 * sectors are refused with a reason before a single byte of payload is
 * read.  What it accepts, cairn_wire_encode() writes back identically.
 */
#ifndef CAIRN_CORE_WIRE_H
#define CAIRN_CORE_WIRE_H

#include "compat.h"
#include "names.h"

#define CAIRN_WIRE_MAGIC	0x4341524eU	/* "CARN" */
#define CAIRN_WIRE_VERSION	1
#define CAIRN_WIRE_HDR_SIZE	16

/* Largest DATA payload: the mirror splits bios at this size. */
#define CAIRN_WIRE_MAX_DATA	BIT(20)
/* Largest BITMAP part, in bits (8 KiB of payload). */
#define CAIRN_WIRE_MAX_BITS	BIT(16)
/* Largest fixed body (HELLO's). */
#define CAIRN_WIRE_BODY_MAX	168
/* Largest body of any message, payload included. */
#define CAIRN_WIRE_MAX_BODY	(32 + CAIRN_WIRE_MAX_DATA)

enum cairn_wire_cmd {
	CAIRN_W_HELLO = 1,
	CAIRN_W_DATA,
	CAIRN_W_WRITE_ACK,
	CAIRN_W_NEG_ACK,
	CAIRN_W_FLUSH,
	CAIRN_W_FLUSH_ACK,
	CAIRN_W_PING,
	CAIRN_W_PING_ACK,
	CAIRN_W_RS_REQUEST,
	CAIRN_W_RS_NACK,
	CAIRN_W_BITMAP,
	__CAIRN_W_MAX,
};

/* DATA flags. */
#define CAIRN_WF_FUA		BIT(0)	/* durable before the ack */
#define CAIRN_WF_DISCARD	BIT(1)	/* unmap the range; no payload */
#define CAIRN_WF_ZEROES		BIT(2)	/* write zeroes; no payload */
#define CAIRN_WF_RESYNC		BIT(3)	/* resync data, not a host write */
#define CAIRN_WF_UNMAPPED	BIT(4)	/* RESYNC only: unmapped at the source */
#define CAIRN_WF_ALL		(BIT(5) - 1)

/* HELLO: roles and disk states (the values of the netlink ABI's). */
enum cairn_wire_role {
	CAIRN_WIRE_PRIMARY = 1,
	CAIRN_WIRE_SECONDARY = 2,
};

enum cairn_wire_disk {
	CAIRN_WIRE_INCONSISTENT = 0,	/* never synced, or a resync half way */
	CAIRN_WIRE_OUTDATED = 1,	/* consistent, known to be behind */
	CAIRN_WIRE_CONSISTENT = 2,	/* consistent, maybe the newest */
};

#define CAIRN_WIRE_NR_HISTORY	2

struct cairn_wire_hello {
	u8 uuid[16];			/* the volume's */
	u8 node_uuid[16];		/* the sending pool's */
	char name[CAIRN_NAME_LEN + 1];	/* the volume's, for messages */
	u64 size;			/* bytes, a multiple of 512 */
	u32 grain_shift;		/* bitmap granularity, log2 bytes */
	u32 role;
	u32 disk;
	u64 gen_current;
	u64 gen_bitmap;
	u64 gen_history[CAIRN_WIRE_NR_HISTORY];
	u64 dirty_bits;			/* set bits in the sender's bitmap */
	u64 mapped;			/* bytes the volume has allocated */
};

struct cairn_wire_data {
	u64 sector;
	u64 cookie;
	u32 seq;
	u32 flags;
	u32 size;			/* bytes of the range */
};

struct cairn_wire_ack {
	u64 cookie;
	u32 seq;
	u32 status;			/* 0, or a positive errno (NEG_ACK) */
};

struct cairn_wire_bitmap {
	u64 first;			/* bit number of the payload's bit 0 */
	u32 nbits;
};

/* A decoded message: header fields and the fixed body, in host order. */
struct cairn_wire_msg {
	u16 cmd;
	u32 length;			/* bytes after the header */
	u32 payload;			/* of which payload (DATA, BITMAP) */
	union {
		struct cairn_wire_hello hello;
		struct cairn_wire_data data;	/* DATA, RS_REQUEST */
		struct cairn_wire_ack ack;	/* ACKs, FLUSH, PINGs */
		struct cairn_wire_bitmap bitmap;
	};
};

/* Size of @cmd's fixed body, or 0 for an unknown command. */
unsigned int cairn_wire_body_size(unsigned int cmd);

/*
 * Decode the CAIRN_WIRE_HDR_SIZE bytes at @hdr into @m (cmd, length).
 * Returns 0, or -EPROTO with *@why set.  The fixed body,
 * cairn_wire_body_size(m->cmd) bytes, follows; then m->length minus that.
 */
int cairn_wire_decode_header(const void *hdr, struct cairn_wire_msg *m,
			     const char **why);

/*
 * Decode the fixed body at @body of the message whose header @m holds, and
 * check it against the header's length.  Sets m->payload.  Returns 0, or
 * -EPROTO with *@why set.
 */
int cairn_wire_decode_body(const void *body, struct cairn_wire_msg *m,
			   const char **why);

/*
 * Encode @m's header and fixed body at @buf (CAIRN_WIRE_HDR_SIZE +
 * cairn_wire_body_size(m->cmd) bytes) for a payload of m->payload bytes,
 * which the caller sends after them.  Returns the bytes written.
 */
unsigned int cairn_wire_encode(void *buf, const struct cairn_wire_msg *m);

/* The name of @cmd, for messages ("DATA"), or "unknown". */
const char *cairn_wire_cmd_name(unsigned int cmd);

#endif /* CAIRN_CORE_WIRE_H */
