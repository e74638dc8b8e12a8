/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names of pools and volumes, shared by cairn.ko and userland.
 */
#ifndef CAIRN_CORE_NAMES_H
#define CAIRN_CORE_NAMES_H

#include "compat.h"

/* Longest pool or volume name, without the terminating NUL. */
#define CAIRN_NAME_LEN 64

/*
 * A name is 1 to CAIRN_NAME_LEN characters of [A-Za-z0-9._-] and is neither
 * "." nor "..": it becomes part of /dev/mapper/cairn-<pool>-<volume> and of
 * configfs paths.  @len is the number of bytes available at @s; the name ends
 * at the first NUL or at @len.  Returns 0 or a negative errno:
 * -EINVAL for an empty name, a bad character or a dot name,
 * -ENAMETOOLONG for a name over CAIRN_NAME_LEN.
 */
int cairn_name_check(const char *s, size_t len);

#endif /* CAIRN_CORE_NAMES_H */
