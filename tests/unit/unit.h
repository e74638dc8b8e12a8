/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal unit-test harness for kmod/core in userspace.
 *
 * CHECK(cond) records a failure with file:line and goes on; a test binary
 * returns unit_finish(), which prints "<name>: N checks, M failed" and
 * returns nonzero if any check failed.
 */
#ifndef CAIRN_UNIT_H
#define CAIRN_UNIT_H

#include <stdio.h>
#include <stdlib.h>

static unsigned int unit_checks, unit_failed;

#define CHECK(cond)							\
	do {								\
		unit_checks++;						\
		if (!(cond)) {						\
			unit_failed++;					\
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n",	\
				__FILE__, __LINE__, #cond);		\
		}							\
	} while (0)

#define CHECK_EQ(a, b)							\
	do {								\
		long long _a = (long long)(a), _b = (long long)(b);	\
		unit_checks++;						\
		if (_a != _b) {						\
			unit_failed++;					\
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", \
				__FILE__, __LINE__, #a, _a, #b, _b);	\
		}							\
	} while (0)

/* A scratch directory /tmp/cairn-test-<name>-XXXXXX, into @dir. */
static inline int unit_tmpdir(char *dir, size_t len, const char *name)
{
	snprintf(dir, len, "/tmp/cairn-test-%s-XXXXXX", name);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return -1;
	}
	return 0;
}

/* The scratch directory goes, unless a check failed (kept to look at). */
static inline void unit_tmpdir_done(const char *dir)
{
	char cmd[300];

	if (unit_failed)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
}

static inline int unit_finish(const char *name)
{
	printf("%s: %u checks, %u failed\n", name, unit_checks, unit_failed);
	return unit_failed ? 1 : 0;
}

#endif /* CAIRN_UNIT_H */
