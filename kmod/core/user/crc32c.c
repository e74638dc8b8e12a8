// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace crc32c (Castagnoli), the same function as the kernel's crc32c():
 * no pre- or post-inversion, the caller passes the seed (~0 by convention).
 *
 * Slicing-by-8 tables are built once, on first use.
 */
#include <pthread.h>

#include "../compat.h"

#define CRC32C_POLY_LE 0x82f63b78u

static u32 crc32c_table[8][256];
static pthread_once_t crc32c_once = PTHREAD_ONCE_INIT;

static void crc32c_init(void)
{
	unsigned int i, j;

	for (i = 0; i < 256; i++) {
		u32 c = i;

		for (j = 0; j < 8; j++)
			c = (c >> 1) ^ ((c & 1) ? CRC32C_POLY_LE : 0);
		crc32c_table[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (j = 1; j < 8; j++)
			crc32c_table[j][i] = (crc32c_table[j - 1][i] >> 8) ^
				crc32c_table[0][crc32c_table[j - 1][i] & 0xff];
}

u32 crc32c(u32 crc, const void *address, unsigned int length)
{
	const u8 *p = address;

	pthread_once(&crc32c_once, crc32c_init);

	while (length >= 8) {
		u32 lo, hi;

		memcpy(&lo, p, 4);
		memcpy(&hi, p + 4, 4);
		lo = le32toh(lo) ^ crc;
		hi = le32toh(hi);
		crc = crc32c_table[7][lo & 0xff] ^
		      crc32c_table[6][(lo >> 8) & 0xff] ^
		      crc32c_table[5][(lo >> 16) & 0xff] ^
		      crc32c_table[4][lo >> 24] ^
		      crc32c_table[3][hi & 0xff] ^
		      crc32c_table[2][(hi >> 8) & 0xff] ^
		      crc32c_table[1][(hi >> 16) & 0xff] ^
		      crc32c_table[0][hi >> 24];
		p += 8;
		length -= 8;
	}
	while (length--)
		crc = (crc >> 8) ^ crc32c_table[0][(crc ^ *p++) & 0xff];

	return crc;
}
