// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libcairn: formatting shared by the userland tools.
 */
#include <stdarg.h>
#include <stdio.h>

#include "libcairn.h"

void cairn_uuid_str(const uint8_t *u, char *out)
{
	unsigned int i;

	for (i = 0; i < 16; i++) {
		out += sprintf(out, "%02x", u[i]);
		if (i == 3 || i == 5 || i == 7 || i == 9)
			*out++ = '-';
	}
	*out = '\0';
}

void cairn_human_size(uint64_t bytes, char *out, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned int u = 0;
	double v = bytes;

	while (v >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	snprintf(out, len, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

void cairn_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
