// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the replication protocol's decoder on hostile bytes,
 * as a peer (or anything else on the port) could send them.
 *
 * The input is read as a stream of messages, the way the link's receiver
 * reads a socket: a header, then the fixed body, then the payload the body
 * announced, until the input runs out or a message is refused.  Every
 * refusal says why; whatever decodes encodes back to the very same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "core/wire.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	u8 again[CAIRN_WIRE_HDR_SIZE + 256];
	struct cairn_wire_msg m;
	const char *why;
	unsigned int fixed, n;

	while (size >= CAIRN_WIRE_HDR_SIZE) {
		why = NULL;
		if (cairn_wire_decode_header(data, &m, &why)) {
			if (!why)
				abort();
			return 0;
		}
		fixed = cairn_wire_body_size(m.cmd);
		if (fixed > sizeof(again) - CAIRN_WIRE_HDR_SIZE ||
		    m.length < fixed || m.length > CAIRN_WIRE_MAX_BODY)
			abort();	/* the header check promised these */
		if (size - CAIRN_WIRE_HDR_SIZE < fixed)
			return 0;
		if (cairn_wire_decode_body(data + CAIRN_WIRE_HDR_SIZE, &m,
					   &why)) {
			if (!why)
				abort();
			return 0;
		}
		if (m.payload != m.length - fixed)
			abort();
		n = cairn_wire_encode(again, &m);
		if (n != CAIRN_WIRE_HDR_SIZE + fixed || memcmp(again, data, n))
			abort();
		if (size - n < m.payload)
			return 0;
		data += n + m.payload;
		size -= n + m.payload;
	}
	return 0;
}
