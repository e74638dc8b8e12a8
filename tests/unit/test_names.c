// SPDX-License-Identifier: GPL-2.0
/*
 * Pool and volume name validation (kmod/core/names.c).
 */
#include <string.h>

#include "core/names.h"
#include "unit.h"

static int check(const char *s)
{
	return cairn_name_check(s, strlen(s) + 1);
}

int main(void)
{
	char long_name[CAIRN_NAME_LEN + 2];

	CHECK_EQ(check("p0"), 0);
	CHECK_EQ(check("vm-01.disk_A"), 0);
	CHECK_EQ(check("..."), 0);
	CHECK_EQ(check(""), -EINVAL);
	CHECK_EQ(check("."), -EINVAL);
	CHECK_EQ(check(".."), -EINVAL);
	CHECK_EQ(check("a b"), -EINVAL);
	CHECK_EQ(check("a/b"), -EINVAL);
	CHECK_EQ(check("caf\xc3\xa9"), -EINVAL);

	memset(long_name, 'x', sizeof(long_name));
	long_name[CAIRN_NAME_LEN] = '\0';
	CHECK_EQ(check(long_name), 0);
	long_name[CAIRN_NAME_LEN] = 'x';
	long_name[CAIRN_NAME_LEN + 1] = '\0';
	CHECK_EQ(check(long_name), -ENAMETOOLONG);

	/* The name ends at @len even without a NUL: no read past it. */
	CHECK_EQ(cairn_name_check("abc", 2), 0);
	CHECK_EQ(cairn_name_check("abc", 0), -EINVAL);
	memset(long_name, 'y', sizeof(long_name));
	CHECK_EQ(cairn_name_check(long_name, CAIRN_NAME_LEN), 0);
	CHECK_EQ(cairn_name_check(long_name, CAIRN_NAME_LEN + 1), -ENAMETOOLONG);

	return unit_finish("names");
}
