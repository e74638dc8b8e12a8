// SPDX-License-Identifier: GPL-2.0
/*
 * Validation of pool and volume names.
 */
#include "names.h"

static bool cairn_name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

int cairn_name_check(const char *s, size_t len)
{
	size_t n;

	for (n = 0; n < len && s[n]; n++) {
		if (n == CAIRN_NAME_LEN)
			return -ENAMETOOLONG;
		if (!cairn_name_char_ok(s[n]))
			return -EINVAL;
	}
	if (n == 0)
		return -EINVAL;
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return -EINVAL;

	return 0;
}
