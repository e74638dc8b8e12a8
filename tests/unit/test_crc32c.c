// SPDX-License-Identifier: GPL-2.0
/*
 * The userspace crc32c shim must equal the kernel's crc32c(): same seed
 * convention (no inversion inside), known vectors from RFC 3720 B.4.
 */
#include <stdlib.h>

#include "core/compat.h"
#include "unit.h"

/* Bit-at-a-time reference. */
static u32 crc32c_ref(u32 crc, const u8 *p, size_t len)
{
	unsigned int i;

	while (len--) {
		crc ^= *p++;
		for (i = 0; i < 8; i++)
			crc = (crc >> 1) ^ ((crc & 1) ? 0x82f63b78u : 0);
	}
	return crc;
}

int main(void)
{
	u8 buf[4096 + 7];
	unsigned int i;

	CHECK_EQ(~crc32c(~0u, "123456789", 9), 0xe3069283u);

	/* RFC 3720 B.4: 32 bytes of zeros, of ones, incrementing. */
	memset(buf, 0, 32);
	CHECK_EQ(~crc32c(~0u, buf, 32), 0x8a9136aau);
	memset(buf, 0xff, 32);
	CHECK_EQ(~crc32c(~0u, buf, 32), 0x62a8ab43u);
	for (i = 0; i < 32; i++)
		buf[i] = i;
	CHECK_EQ(~crc32c(~0u, buf, 32), 0x46dd794eu);

	/* Every length and misalignment against the reference. */
	srand(1);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = rand();
	for (i = 0; i < 64; i++) {
		unsigned int off = i % 8, len = (i * 67) % 4096;

		CHECK_EQ(crc32c(0x1234u, buf + off, len),
			 crc32c_ref(0x1234u, buf + off, len));
	}
	/* Chaining equals one pass. */
	CHECK_EQ(crc32c(crc32c(~0u, buf, 1000), buf + 1000, 3000),
		 crc32c(~0u, buf, 4000));

	return unit_finish("crc32c");
}
