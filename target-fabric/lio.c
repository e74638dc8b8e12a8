// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * LIO exports through configfs, in the layout rtslib-fb (targetcli) writes,
 * so that `targetcli ls` shows what Cairn made and the other way round.
 *
 * Under /sys/kernel/config/target:
 *
 *   core/iblock_N/<volume>/             one HBA per backstore, N the first
 *                                       index no core/<plugin>_N uses
 *   iscsi/<iqn>/tpgt_1/                 one TPG per target, created disabled
 *     attrib/{generate_node_acls,demo_mode_write_protect,
 *             cache_dynamic_acls,authentication}
 *     np/<ip>:<port>/                   portals; IPv6 as [addr]:port
 *     lun/lun_N/<alias> -> core/iblock_M/<volume>
 *     acls/<initiator>/auth/{userid,password,userid_mutual,password_mutual}
 *     acls/<initiator>/lun_N/<alias> -> ../../lun/lun_N   (every LUN)
 *   loopback/<naa>/tpgt_1/
 *     nexus                             naa. initiator port derived from <naa>
 *     lun/lun_N/<alias> -> core/iblock_M/<volume>
 *   iscsi/<iqn>/tpgt_1/, tpgt_2/        a target served by two nodes: node i
 *                                       owns tpgt_<i+1>, enabled and with
 *                                       portals only on that node; LUNs (in
 *                                       tpgt_1 first) and ACLs in both
 *   core/iblock_N/<volume>/alua/cairn_<node>/   its target port groups,
 *                                       id i+1, implicit ALUA (see the end)
 *   fc/<wwpn>/tpgt_1/                   tcm_fc: <wwpn> a local FC port,
 *                                       xx:xx:xx:xx:xx:xx:xx:xx
 *     lun/lun_N/<alias> -> core/iblock_M/<volume>
 *     acls/<initiator wwpn>/lun_N/<alias> -> ../../lun/lun_N   (every LUN)
 *
 * Cairn names FC ports as rtslib does, naa. and 16 hex digits; tcm_fc's
 * directories spell them with colons (fc_wwn_name()).  tcm_fc has no demo
 * mode: an initiator without an ACL gets no session (its PRLI is refused).
 *
 * An <alias> is ten random hex digits, as rtslib names its links.
 *
 * A backstore is made as rtslib's BlockStorageObject does it, then tuned
 * for a thin volume:
 *   mkdir core/iblock_N, mkdir core/iblock_N/<volume>
 *   udev_path        = <device>
 *   control          = udev_path=<device>
 *   control          = readonly=0
 *   enable           = 1                   (LIO opens the device here)
 *   wwn/vpd_unit_serial = <volume UUID>    (LIO derives the NAA from it)
 *   wwn/vendor_id    = CAIRN               (best effort)
 *   attrib/emulate_model_alias = 1         (INQUIRY product = the volume's
 *                                           name, as targetcli sets it)
 *   attrib/emulate_tpu = 1, attrib/emulate_tpws = 1   (UNMAP, WRITE SAME)
 *   attrib/unmap_zeroes_data = 1           (LBPRZ; best effort: a Cairn
 *                                           volume reads unmapped chunks as 0)
 *   attrib/unmap_granularity = chunk / block_size, if LIO derived another
 * The write cache is left alone: iblock reports the device's own.
 *
 * Whatever a create made is removed again, in reverse, when a later step
 * fails.  Deleting a target goes as rtslib's TPG.delete(): disable the TPG
 * (no new logins, sessions closed), then per ACL unlink and rmdir its mapped
 * LUNs and rmdir the ACL, unlink and rmdir the LUNs, rmdir the portals, the
 * TPG and the target.  A backstore is deleted only when no LUN of any fabric
 * links to it.
 *
 * Every function returns 0 or a negative errno and puts a message naming the
 * object into @err.  Names are validated before they become paths, so paths
 * stay far below PATH_MAX.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "libcairn.h"

#define CONFIGFS_DIR	"/sys/kernel/config"
#define CONFIGFS_MAGIC	0x62656570	/* "beep", fs/configfs/mount.c */
/* targetcli maps LUNs 0..255 into ACLs; keep TPG LUNs in that range too. */
#define LIO_MAX_LUN	255
#define LIO_ALIAS_LEN	10

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

static int alua_groups_remove(const char *so);

static const char *fabric_dir(enum cairn_fabric fabric)
{
	switch (fabric) {
	case CAIRN_FABRIC_ISCSI:
		return "iscsi";
	case CAIRN_FABRIC_LOOPBACK:
		return "loopback";
	case CAIRN_FABRIC_FC:
		return "fc";
	}
	return NULL;
}

static const char *fabric_module(enum cairn_fabric fabric)
{
	switch (fabric) {
	case CAIRN_FABRIC_ISCSI:
		return "iscsi_target_mod";
	case CAIRN_FABRIC_LOOPBACK:
		return "tcm_loop";
	case CAIRN_FABRIC_FC:
		return "tcm_fc";
	}
	return "?";
}

#define FC_WWN_NAME_LEN	CAIRN_LIO_DIR_NAME_LEN

/*
 * The directory name of target or initiator @wwn: tcm_fc parses its
 * names as eight colon-separated lowercase hex bytes; the other fabrics
 * take the name as it is.  @buf has FC_WWN_NAME_LEN bytes.
 */
static const char *fc_wwn_name(enum cairn_fabric fabric, const char *wwn,
			       char *buf)
{
	unsigned int i;

	if (fabric != CAIRN_FABRIC_FC || strlen(wwn) != 20)
		return wwn;
	for (i = 0; i < 8; i++) {
		buf[3 * i] = wwn[4 + 2 * i];
		buf[3 * i + 1] = wwn[5 + 2 * i];
		buf[3 * i + 2] = i < 7 ? ':' : '\0';
	}
	return buf;
}

const char *cairn_lio_dir_name(enum cairn_fabric fabric, const char *wwn,
			       char *buf)
{
	return fc_wwn_name(fabric, wwn, buf);
}

/*
 * Build a path in @out (PATH_MAX bytes).  A path that does not fit becomes
 * "", which every system call refuses: never a truncated, other path.
 */
static void pathf(char *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void pathf(char *out, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, PATH_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= PATH_MAX)
		out[0] = '\0';
}

/* Write @value (no newline: CHAP secrets are stored verbatim). */
static int write_attr(const char *dir, const char *name, const char *value)
{
	char path[PATH_MAX];
	size_t len = strlen(value);
	ssize_t n;
	int fd, r = 0;

	pathf(path, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != len)
		r = -EIO;
	if (close(fd) && !r)
		r = -errno;
	return r;
}

/* Read an attribute into @buf without its trailing newline. */
static int read_attr(const char *dir, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, r = 0;

	pathf(path, "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		r = -errno;
		n = 0;
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	close(fd);
	return r;
}

static int read_attr_u32(const char *dir, const char *name, uint32_t *val)
{
	char buf[32], *end;
	unsigned long v;
	int r;

	r = read_attr(dir, name, buf, sizeof(buf));
	if (r)
		return r;
	errno = 0;
	v = strtoul(buf, &end, 0);
	if (errno || end == buf || *end || v > UINT32_MAX)
		return -EINVAL;
	*val = v;
	return 0;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static bool is_link(const char *path)
{
	struct stat st;

	return !lstat(path, &st) && S_ISLNK(st.st_mode);
}

/* Every path matching @pattern, sorted; no match is an empty list. */
static int list_paths(const char *pattern, glob_t *g)
{
	int r;

	memset(g, 0, sizeof(*g));
	r = glob(pattern, 0, NULL, g);
	if (r == 0 || r == GLOB_NOMATCH)
		return 0;
	globfree(g);
	memset(g, 0, sizeof(*g));
	return r == GLOB_NOSPACE ? -ENOMEM : -EIO;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/*
 * The configfs tree of LIO: mount configfs if it is not mounted yet; LIO
 * itself (target_core_mod) is loaded by cairn_kmod_load_all().
 */
static int lio_ready(char *err, size_t errlen)
{
	struct statfs sfs;
	int r;

	if (is_dir(CAIRN_LIO_ROOT))
		return 0;
	if (statfs(CONFIGFS_DIR, &sfs) || sfs.f_type != CONFIGFS_MAGIC) {
		if (mount("configfs", CONFIGFS_DIR, "configfs", 0, NULL)) {
			r = -errno;
			cairn_seterr(err, errlen, "cannot mount configfs on %s: %s",
				     CONFIGFS_DIR, strerror(-r));
			return r;
		}
	}
	if (!is_dir(CAIRN_LIO_ROOT)) {
		cairn_seterr(err, errlen,
			     "LIO is not loaded: no %s (target_core_mod)",
			     CAIRN_LIO_ROOT);
		return -ENOENT;
	}
	return 0;
}

/* The fabric's directory; creating it makes LIO register the fabric. */
static int fabric_ready(enum cairn_fabric fabric, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int r;

	r = lio_ready(err, errlen);
	if (r)
		return r;
	/* LIO loads iSCSI and loopback on the mkdir, not tcm_fc. */
	if (fabric == CAIRN_FABRIC_FC) {
		r = cairn_kmod_load(fabric_module(fabric), err, errlen);
		if (r)
			return r;
	}
	pathf(path, "%s/%s", CAIRN_LIO_ROOT, fabric_dir(fabric));
	if (mkdir(path, 0755) && errno != EEXIST) {
		r = -errno;
		cairn_seterr(err, errlen, "LIO fabric %s is not available (%s): %s",
			     fabric_dir(fabric), fabric_module(fabric), strerror(-r));
		return r;
	}
	return 0;
}

/* Ten random hex digits, as rtslib names LUN links. */
static void new_alias(char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[LIO_ALIAS_LEN / 2];
	unsigned int i;

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		unsigned long x = (unsigned long)time(NULL) ^
				  ((unsigned long)getpid() << 16) ^
				  (unsigned long)(uintptr_t)out;

		for (i = 0; i < sizeof(rnd); i++, x >>= 8)
			rnd[i] = x;
	}
	for (i = 0; i < sizeof(rnd); i++) {
		out[2 * i] = hex[rnd[i] >> 4];
		out[2 * i + 1] = hex[rnd[i] & 15];
	}
	out[LIO_ALIAS_LEN] = '\0';
}

static int not_dots(const struct dirent *de)
{
	return strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
}

/*
 * The entries of @dir, sorted, read before the caller changes anything;
 * for directories whose names came from configfs, so that no name is ever
 * taken for a glob pattern.  Returns their number or a negative errno.
 */
static int read_names(const char *dir, struct dirent ***names)
{
	int n = scandir(dir, names, not_dots, alphasort);

	return n < 0 ? -errno : n;
}

static void free_names(struct dirent **names, int n)
{
	while (n > 0)
		free(names[--n]);
	free(names);
}

/* Unlink the links in @dir (a LUN or mapped LUN) and remove it. */
static int remove_lun_dir(const char *dir)
{
	struct dirent **names;
	char path[PATH_MAX];
	int i, n, r = 0;

	n = read_names(dir, &names);
	if (n < 0)
		return n;
	for (i = 0; !r && i < n; i++) {
		pathf(path, "%s/%s", dir, names[i]->d_name);
		if (is_link(path) && unlink(path))
			r = -errno;
	}
	free_names(names, n);
	if (!r && rmdir(dir))
		r = -errno;
	return r;
}

/* The resolved target of the first link in @dir. */
static int link_target(const char *dir, char *out)
{
	struct dirent **names;
	char path[PATH_MAX];
	int i, n, r = -ENOENT;

	n = read_names(dir, &names);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		pathf(path, "%s/%s", dir, names[i]->d_name);
		if (!is_link(path))
			continue;
		r = realpath(path, out) ? 0 : -errno;
		break;
	}
	free_names(names, n);
	return r;
}

/* ---------------------------------------------------------------------
 * Names
 */

static bool is_lower_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return !s[n];
}

/*
 * 16 hex digits, NAA type 1, 2 or 5 (IEEE formats).  A 32-digit NAA 6
 * name is a valid SCSI name too, but rtslib refuses it and `targetcli ls`
 * then lists nothing at all.
 */
static bool valid_naa(const char *hex)
{
	return (hex[0] == '1' || hex[0] == '2' || hex[0] == '5') &&
	       is_lower_hex(hex, 16);
}

static const char *iqn_problem(const char *wwn)
{
	const char *p = wwn + 4, *colon;
	unsigned int labels = 0, month, i;
	size_t label = 0;

	for (i = 0; i < 4; i++)
		if (p[i] < '0' || p[i] > '9')
			return "an iqn. name starts with iqn.YYYY-MM.";
	if (p[4] != '-' || p[5] < '0' || p[5] > '9' || p[6] < '0' ||
	    p[6] > '9' || p[7] != '.')
		return "an iqn. name starts with iqn.YYYY-MM.";
	month = (p[5] - '0') * 10 + (p[6] - '0');
	if (month < 1 || month > 12)
		return "the month of iqn.YYYY-MM. is 01 to 12";
	p += 8;
	colon = strchr(p, ':');
	/* The naming authority: a reversed domain name, a.b[.c...]. */
	for (; *p && p != colon; p++) {
		if (*p == '.') {
			if (!label)
				return "empty label in the reversed domain name";
			labels++;
			label = 0;
		} else if ((*p >= 'a' && *p <= 'z') ||
			   (*p >= '0' && *p <= '9') || *p == '-') {
			label++;
		} else {
			return "the reversed domain name allows a-z, 0-9, - and .";
		}
	}
	if (!label)
		return "empty label in the reversed domain name";
	if (++labels < 2)
		return "the naming authority must be a reversed domain name such as com.example";
	if (!colon)
		return NULL;
	if (!colon[1])
		return "nothing after the ':'";
	for (p = colon + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '.' || *p == ':'))
			return "an iqn. name allows a-z, 0-9, '-', '.' and ':'";
	return NULL;
}

/* What is wrong with @wwn (of a checked length), or NULL. */
static const char *wwn_problem(enum cairn_fabric fabric, const char *wwn)
{
	const char *p;

	for (p = wwn; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			return "use lowercase (names are compared in lowercase)";
	if (fabric == CAIRN_FABRIC_LOOPBACK) {
		if (strncmp(wwn, "naa.", 4) || !valid_naa(wwn + 4))
			return "a loopback target is named naa. and 16 hex digits "
			       "starting with 1, 2 or 5";
		return NULL;
	}
	if (fabric == CAIRN_FABRIC_FC) {
		if (strncmp(wwn, "naa.", 4) || !valid_naa(wwn + 4))
			return "an FC port name is naa. and 16 hex digits starting "
			       "with 1, 2 or 5, e.g. naa.2000525400770002";
		return NULL;
	}
	if (!strncmp(wwn, "iqn.", 4))
		return iqn_problem(wwn);
	if (!strncmp(wwn, "eui.", 4)) {
		if (strlen(wwn) != 20 || !is_lower_hex(wwn + 4, 16))
			return "an eui. name has 16 hex digits";
		return NULL;
	}
	if (!strncmp(wwn, "naa.", 4)) {
		if (!valid_naa(wwn + 4))
			return "an naa. name has 16 hex digits starting with "
			       "1, 2 or 5 (NAA 6 names are not supported by targetcli)";
		return NULL;
	}
	return "an iSCSI name starts with iqn., eui. or naa.";
}

bool cairn_lio_valid_wwn(enum cairn_fabric fabric, const char *wwn,
			 char *err, size_t errlen)
{
	const char *why;

	if (!fabric_dir(fabric)) {
		cairn_seterr(err, errlen, "unknown fabric %d", fabric);
		return false;
	}
	if (!wwn || !*wwn) {
		cairn_seterr(err, errlen, "empty %s name", fabric_dir(fabric));
		return false;
	}
	if (strnlen(wwn, CAIRN_WWN_LEN) >= CAIRN_WWN_LEN) {
		cairn_seterr(err, errlen, "%.32s...: longer than %d bytes", wwn,
			     CAIRN_WWN_LEN - 1);
		return false;
	}
	why = wwn_problem(fabric, wwn);
	if (why) {
		cairn_seterr(err, errlen, "%s: %s", wwn, why);
		return false;
	}
	return true;
}

int cairn_lio_fc_wwn(const char *in, char *out, size_t len, char *err,
		     size_t errlen)
{
	char hex[32];
	size_t n = 0;
	const char *p = in;

	if (!p)
		p = "";
	if (!strncasecmp(p, "naa.", 4))
		p += 4;
	else if (!strncasecmp(p, "0x", 2))
		p += 2;
	/* As rtslib reads them: colons and dashes are spacing, case is not. */
	for (; *p && n < sizeof(hex) - 1; p++) {
		if (*p == ':' || *p == '-')
			continue;
		hex[n++] = *p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p;
	}
	hex[n] = '\0';
	if (*p || n != 16 || !valid_naa(hex)) {
		cairn_seterr(err, errlen,
			     "%s is not an FC port name: 16 hex digits starting with 1, 2 or 5, "
			     "as naa.2000525400770002 or 20:00:52:54:00:77:00:02",
			     in ? in : "(none)");
		return -EINVAL;
	}
	if (len < 21)
		return -ENAMETOOLONG;
	snprintf(out, len, "naa.%s", hex);
	return 0;
}

/*
 * /sys/class/fc_host/hostN is a port tcm_fc can serve when the SCSI host
 * hangs off an FCoE controller (bus fcoe), as rtslib decides it.
 */
static bool fc_host_is_fcoe(const char *host)
{
	char real[PATH_MAX], path[PATH_MAX + 16], sub[PATH_MAX];
	unsigned int i;
	char *s;

	if (!realpath(host, real))
		return false;
	/* .../ctlr_N/hostM/fc_host/hostM -> .../ctlr_N */
	for (i = 0; i < 3; i++) {
		s = strrchr(real, '/');
		if (!s || s == real)
			return false;
		*s = '\0';
	}
	snprintf(path, sizeof(path), "%s/subsystem", real);
	return realpath(path, sub) && !strcmp(base_name(sub), "fcoe");
}

static void fc_name_from_sysfs(const char *host, const char *attr, char *out,
			       size_t len)
{
	char val[64];

	out[0] = '\0';
	if (!read_attr(host, attr, val, sizeof(val)) &&
	    cairn_lio_fc_wwn(val, out, len, NULL, 0))
		out[0] = '\0';
}

int cairn_lio_fc_ports(struct cairn_fc_port **ports, char *err, size_t errlen)
{
	struct cairn_fc_port *a = NULL, *t;
	unsigned int n = 0;
	glob_t g;
	size_t i;
	int r;

	*ports = NULL;
	r = list_paths("/sys/class/fc_host/host*", &g);
	if (r) {
		cairn_seterr(err, errlen, "cannot list /sys/class/fc_host: %s",
			     strerror(-r));
		return r;
	}
	for (i = 0; i < g.gl_pathc; i++) {
		const char *h = g.gl_pathv[i];
		struct cairn_fc_port *p;

		if (!fc_host_is_fcoe(h))
			continue;
		t = realloc(a, (n + 1) * sizeof(*a));
		if (!t) {
			free(a);
			globfree(&g);
			cairn_seterr(err, errlen, "out of memory");
			return -ENOMEM;
		}
		a = t;
		p = &a[n];
		memset(p, 0, sizeof(*p));
		fc_name_from_sysfs(h, "port_name", p->wwpn, sizeof(p->wwpn));
		if (!p->wwpn[0])
			continue;
		fc_name_from_sysfs(h, "node_name", p->wwnn, sizeof(p->wwnn));
		snprintf(p->host, sizeof(p->host), "%s", base_name(h));
		if (read_attr(h, "port_state", p->state, sizeof(p->state)))
			snprintf(p->state, sizeof(p->state), "unknown");
		/* "fcoe v0.1 over eth1" */
		if (read_attr(h, "symbolic_name", p->symbolic,
			      sizeof(p->symbolic)))
			p->symbolic[0] = '\0';
		n++;
	}
	globfree(&g);
	*ports = a;
	return n;
}

/* Backstore names become directory names: no '/', blanks or controls. */
static bool valid_backstore_name(const char *name, char *err, size_t errlen)
{
	const char *p;

	if (!name || !*name) {
		cairn_seterr(err, errlen, "empty backstore name");
		return false;
	}
	if (strnlen(name, CAIRN_NAME_LEN) >= CAIRN_NAME_LEN) {
		cairn_seterr(err, errlen, "backstore %.32s...: longer than %d bytes",
			     name, CAIRN_NAME_LEN - 1);
		return false;
	}
	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		cairn_seterr(err, errlen, "backstore %s: not a valid name", name);
		return false;
	}
	for (p = name; *p; p++) {
		if (*p == '/' || (unsigned char)*p <= ' ' || *p == 0x7f ||
		    *p == '*' || *p == '?' || *p == '[' || *p == '\\') {
			cairn_seterr(err, errlen,
				     "backstore %s: a name cannot contain '/', blanks, controls or * ? [ \\",
				     name);
			return false;
		}
	}
	return true;
}

static bool valid_target(enum cairn_fabric fabric, const char *wwn,
			 char *err, size_t errlen)
{
	char why[320];

	if (cairn_lio_valid_wwn(fabric, wwn, why, sizeof(why)))
		return true;
	cairn_seterr(err, errlen, "%s target: %s",
		     fabric_dir(fabric) ? fabric_dir(fabric) : "unknown", why);
	return false;
}

/* TPG @tag of an existing target, or -ENOENT with the message. */
static int tpg_path_tag(enum cairn_fabric fabric, const char *wwn,
			unsigned int tag, char *out, char *err, size_t errlen)
{
	char name[FC_WWN_NAME_LEN];

	if (!valid_target(fabric, wwn, err, errlen))
		return -EINVAL;
	pathf(out, "%s/%s/%s/tpgt_%u", CAIRN_LIO_ROOT, fabric_dir(fabric),
	      fc_wwn_name(fabric, wwn, name), tag);
	if (!is_dir(out)) {
		if (tag == 1)
			cairn_seterr(err, errlen, "%s target %s: no such target",
				     fabric_dir(fabric), wwn);
		else
			cairn_seterr(err, errlen, "%s target %s: no TPG %u",
				     fabric_dir(fabric), wwn, tag);
		return -ENOENT;
	}
	return 0;
}

/* The first TPG (tpgt_1) of an existing target. */
static int tpg_path(enum cairn_fabric fabric, const char *wwn, char *out,
		    char *err, size_t errlen)
{
	return tpg_path_tag(fabric, wwn, 1, out, err, errlen);
}

/*
 * Every TPG of an existing target, tpgt_1 first (a target has tpgt_1, or
 * tpgt_1 and tpgt_2 when two nodes serve it): LUNs and ACLs go into each
 * of them in that order.
 */
static int target_tpgs(enum cairn_fabric fabric, const char *wwn, glob_t *g,
		       char *err, size_t errlen)
{
	char tpg[PATH_MAX], pattern[PATH_MAX + 8];
	int r;

	r = tpg_path(fabric, wwn, tpg, err, errlen);
	if (r)
		return r;
	snprintf(pattern, sizeof(pattern), "%.*s*", (int)strlen(tpg) - 1, tpg);
	r = list_paths(pattern, g);
	if (r)
		cairn_seterr(err, errlen, "%s target %s: cannot list its TPGs: %s",
			     fabric_dir(fabric), wwn, strerror(-r));
	return r;
}

/* ---------------------------------------------------------------------
 * Backstores
 */

/* core/iblock_N/<name>, 0 if it exists. */
static int find_backstore(const char *name, char *out)
{
	char pattern[PATH_MAX];
	glob_t g;
	size_t i;
	int r;

	pathf(pattern, "%s/core/iblock_*/%s", CAIRN_LIO_ROOT, name);
	r = list_paths(pattern, &g);
	if (r)
		return r;
	r = -ENOENT;
	for (i = 0; i < g.gl_pathc; i++) {
		if (is_dir(g.gl_pathv[i])) {
			pathf(out, "%s", g.gl_pathv[i]);
			r = 0;
			break;
		}
	}
	globfree(&g);
	return r;
}

int cairn_lio_backstore_exists(const char *name)
{
	char path[PATH_MAX];

	if (!valid_backstore_name(name, NULL, 0))
		return 0;
	return find_backstore(name, path) == 0;
}

/*
 * Make core/<plugin>_N for the first N no HBA of any plugin uses (rtslib
 * keeps one index space for all of them); mkdir settles a race.
 */
static int make_hba(char *out, char *err, size_t errlen)
{
	char pattern[PATH_MAX];
	unsigned int n;
	glob_t g;
	size_t i;
	int r;

	pathf(pattern, "%s/core/*_*", CAIRN_LIO_ROOT);
	for (n = 0; n < 1048576; n++) {
		char suffix[16];
		bool used = false;

		r = list_paths(pattern, &g);
		if (r)
			break;
		snprintf(suffix, sizeof(suffix), "_%u", n);
		for (i = 0; i < g.gl_pathc && !used; i++) {
			const char *s = strrchr(base_name(g.gl_pathv[i]), '_');

			used = s && !strcmp(s, suffix);
		}
		globfree(&g);
		if (used)
			continue;
		pathf(out, "%s/core/iblock_%u", CAIRN_LIO_ROOT, n);
		if (!mkdir(out, 0755))
			return 0;
		if (errno != EEXIST) {
			r = -errno;
			break;
		}
	}
	if (!r)
		r = -ENOSPC;
	cairn_seterr(err, errlen, "cannot create an iblock HBA in %s/core: %s",
		     CAIRN_LIO_ROOT, strerror(-r));
	return r;
}

/* attrib/unmap_granularity (logical blocks) must match the pool's chunk. */
static int check_granularity(const char *so, const char *name,
			     uint32_t granularity, char *err, size_t errlen)
{
	uint32_t bs, cur, want;
	char val[16];
	int r;

	if (!granularity)
		return 0;
	r = read_attr_u32(so, "attrib/block_size", &bs);
	if (!r && !bs)
		r = -EINVAL;
	if (!r)
		r = read_attr_u32(so, "attrib/unmap_granularity", &cur);
	if (r) {
		cairn_seterr(err, errlen, "backstore %s: cannot read attrib/block_size "
			     "and attrib/unmap_granularity: %s", name, strerror(-r));
		return r;
	}
	want = granularity / bs;
	if (!want)
		want = 1;
	if (cur == want)
		return 0;
	snprintf(val, sizeof(val), "%u", want);
	r = write_attr(so, "attrib/unmap_granularity", val);
	if (r)
		cairn_seterr(err, errlen, "backstore %s: cannot set "
			     "attrib/unmap_granularity to %u (was %u): %s",
			     name, want, cur, strerror(-r));
	return r;
}

/*
 * LIO keeps persistent reservations (APTPL) and ALUA state under its
 * dbroot (/etc/target unless a tool changed it); without dbroot/pr,
 * PERSISTENT RESERVE OUT fails with LOGICAL UNIT COMMUNICATION FAILURE.
 * Make the directories, as targetcli's installation does.
 */
static void make_dbroot(void)
{
	char root[PATH_MAX], dir[PATH_MAX + 8];
	static const char *const sub[] = { "", "/pr", "/alua" };
	unsigned int i;

	if (read_attr(CAIRN_LIO_ROOT, "dbroot", root, sizeof(root)) || root[0] != '/')
		return;
	for (i = 0; i < ARRAY_SIZE(sub); i++) {
		snprintf(dir, sizeof(dir), "%s%s", root, sub[i]);
		if (mkdir(dir, 0700) && errno != EEXIST)
			return;
	}
}

int cairn_lio_backstore_create(const struct cairn_lio_backstore *bs,
			       char *err, size_t errlen)
{
	char hba[PATH_MAX], so[PATH_MAX], val[PATH_MAX], uuid[37];
	static const char *const thin[] = {
		"attrib/emulate_tpu", "attrib/emulate_tpws",
	};
	const char *step;
	struct stat st;
	unsigned int i;
	int r;

	if (!bs || !valid_backstore_name(bs->name, err, errlen))
		return -EINVAL;
	if (!bs->device || bs->device[0] != '/' ||
	    strnlen(bs->device, 256) >= 256 || strchr(bs->device, '\n')) {
		cairn_seterr(err, errlen, "backstore %s: device must be an absolute path",
			     bs->name);
		return -EINVAL;
	}
	if (!bs->uuid) {
		cairn_seterr(err, errlen, "backstore %s: no UUID for its serial",
			     bs->name);
		return -EINVAL;
	}
	if (stat(bs->device, &st)) {
		r = -errno;
		cairn_seterr(err, errlen, "backstore %s: %s: %s", bs->name,
			     bs->device, strerror(-r));
		return r;
	}
	if (!S_ISBLK(st.st_mode)) {
		cairn_seterr(err, errlen, "backstore %s: %s is not a block device",
			     bs->name, bs->device);
		return -ENOTBLK;
	}
	r = lio_ready(err, errlen);
	if (r)
		return r;
	if (!find_backstore(bs->name, so)) {
		cairn_seterr(err, errlen, "backstore %s already exists (%s)",
			     bs->name, so + strlen(CAIRN_LIO_ROOT) + 1);
		return -EEXIST;
	}
	make_dbroot();

	r = make_hba(hba, err, errlen);
	if (r)
		return r;
	pathf(so, "%s/%s", hba, bs->name);
	if (mkdir(so, 0755)) {
		r = -errno;
		cairn_seterr(err, errlen, "backstore %s: cannot create %s: %s",
			     bs->name, so, strerror(-r));
		goto out_rmdir_hba;
	}

	step = "udev_path";
	r = write_attr(so, "udev_path", bs->device);
	if (!r) {
		step = "control udev_path=";
		pathf(val, "udev_path=%s", bs->device);
		r = write_attr(so, "control", val);
	}
	if (!r) {
		step = "control readonly=0";
		r = write_attr(so, "control", "readonly=0");
	}
	if (r) {
		cairn_seterr(err, errlen, "backstore %s: cannot write %s: %s",
			     bs->name, step, strerror(-r));
		goto out_rmdir_so;
	}
	r = write_attr(so, "enable", "1");
	if (r) {
		cairn_seterr(err, errlen, "backstore %s: LIO cannot open %s: %s",
			     bs->name, bs->device, strerror(-r));
		goto out_rmdir_so;
	}
	cairn_uuid_str(bs->uuid, uuid);
	r = write_attr(so, "wwn/vpd_unit_serial", uuid);
	if (r) {
		cairn_seterr(err, errlen, "backstore %s: cannot set the unit serial %s: %s",
			     bs->name, uuid, strerror(-r));
		goto out_rmdir_so;
	}
	/* Optional: older kernels, or a refusal, keep LIO-ORG and IBLOCK. */
	write_attr(so, "wwn/vendor_id", "CAIRN");
	write_attr(so, "attrib/emulate_model_alias", "1");

	for (i = 0; i < ARRAY_SIZE(thin); i++) {
		r = write_attr(so, thin[i], "1");
		if (r) {
			cairn_seterr(err, errlen, "backstore %s: cannot set %s=1 "
				     "(does %s support discard?): %s",
				     bs->name, thin[i], bs->device, strerror(-r));
			goto out_rmdir_so;
		}
	}
	/* LBPRZ: refused by kernels that cannot promise it; not fatal. */
	write_attr(so, "attrib/unmap_zeroes_data", "1");
	r = check_granularity(so, bs->name, bs->granularity, err, errlen);
	if (r)
		goto out_rmdir_so;
	return 0;

out_rmdir_so:
	rmdir(so);
out_rmdir_hba:
	rmdir(hba);
	return r;
}

/*
 * The first LUN of any fabric whose link resolves to @so, as
 * "<fabric>/<wwn>/lun_N" in @who; 1 if there is one.
 */
static int backstore_user(const char *so, char *who, size_t len)
{
	char pattern[PATH_MAX], real[PATH_MAX], target[PATH_MAX];
	glob_t g;
	size_t i;
	int r, found = 0;

	if (!realpath(so, real))
		return -errno;
	pathf(pattern, "%s/*/*/tpgt_*/lun/lun_*", CAIRN_LIO_ROOT);
	r = list_paths(pattern, &g);
	if (r)
		return r;
	for (i = 0; i < g.gl_pathc && !found; i++) {
		const char *lun = g.gl_pathv[i] + strlen(CAIRN_LIO_ROOT) + 1;
		const char *tpg;

		if (link_target(g.gl_pathv[i], target) || strcmp(target, real))
			continue;
		/* <fabric>/<wwn>/tpgt_T/lun/lun_N -> <fabric>/<wwn>/lun_N */
		tpg = strstr(lun, "/tpgt_");
		snprintf(who, len, "%.*s/%s", tpg ? (int)(tpg - lun) : 0, lun,
			 base_name(lun));
		found = 1;
	}
	globfree(&g);
	return found;
}

int cairn_lio_backstore_delete(const char *name, char *err, size_t errlen)
{
	char so[PATH_MAX], hba[PATH_MAX], who[PATH_MAX];
	char *slash;
	int r;

	if (!valid_backstore_name(name, err, errlen))
		return -EINVAL;
	if (find_backstore(name, so)) {
		cairn_seterr(err, errlen, "backstore %s: no such backstore", name);
		return -ENOENT;
	}
	r = backstore_user(so, who, sizeof(who));
	if (r < 0) {
		cairn_seterr(err, errlen, "backstore %s: cannot check its LUNs: %s",
			     name, strerror(-r));
		return r;
	}
	if (r) {
		cairn_seterr(err, errlen, "backstore %s is exported by %s", name,
			     who);
		return -EBUSY;
	}
	/* Its ALUA groups first: configfs keeps a directory with children. */
	r = alua_groups_remove(so);
	if (r) {
		cairn_seterr(err, errlen, "backstore %s: cannot remove its ALUA groups: %s",
			     name, strerror(-r));
		return r;
	}
	if (rmdir(so)) {
		r = -errno;
		cairn_seterr(err, errlen, "backstore %s: cannot remove %s: %s", name,
			     so, strerror(-r));
		return r;
	}
	pathf(hba, "%s", so);
	slash = strrchr(hba, '/');
	*slash = '\0';
	if (rmdir(hba) && errno != ENOTEMPTY && errno != EBUSY) {
		r = -errno;
		cairn_seterr(err, errlen, "backstore %s: cannot remove %s: %s", name,
			     hba, strerror(-r));
		return r;
	}
	return 0;
}

/* ---------------------------------------------------------------------
 * Targets
 */

/* naa.5 + OpenFabrics OUI 001405 + 36 bits of a hash of the target. */
static void loopback_nexus(const char *wwn, char *out, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */
	const char *p;

	for (p = wwn; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	h ^= h >> 36;
	snprintf(out, len, "naa.5001405%09llx",
		 (unsigned long long)(h & 0xfffffffffULL));
	/* The target itself may have that name. */
	if (!strcmp(out, wwn))
		snprintf(out, len, "naa.5001405%09llx",
			 (unsigned long long)(~h & 0xfffffffffULL));
}

static const struct {
	const char *name, *value;
} iscsi_tpg_defaults[] = {
	{ "attrib/generate_node_acls", "0" },
	{ "attrib/demo_mode_write_protect", "1" },
	{ "attrib/cache_dynamic_acls", "0" },
	{ "attrib/authentication", "0" },
};

/* tpgt_@tag of target directory @tgt, with the fabric's defaults. */
static int make_tpg(enum cairn_fabric fabric, const char *wwn, const char *tgt,
		    unsigned int tag, char *err, size_t errlen)
{
	char tpg[PATH_MAX], nexus[32];
	const char *fab = fabric_dir(fabric);
	unsigned int i;
	int r;

	pathf(tpg, "%s/tpgt_%u", tgt, tag);
	if (mkdir(tpg, 0755)) {
		r = -errno;
		cairn_seterr(err, errlen, "%s target %s: cannot create its TPG %u: %s",
			     fab, wwn, tag, strerror(-r));
		return r;
	}
	if (fabric == CAIRN_FABRIC_ISCSI) {
		for (i = 0; i < ARRAY_SIZE(iscsi_tpg_defaults); i++) {
			r = write_attr(tpg, iscsi_tpg_defaults[i].name,
				       iscsi_tpg_defaults[i].value);
			if (r) {
				cairn_seterr(err, errlen,
					     "iscsi target %s: cannot set tpgt_%u/%s=%s: %s",
					     wwn, tag, iscsi_tpg_defaults[i].name,
					     iscsi_tpg_defaults[i].value,
					     strerror(-r));
				goto out_rmdir_tpg;
			}
		}
	} else if (fabric == CAIRN_FABRIC_LOOPBACK) {
		loopback_nexus(wwn, nexus, sizeof(nexus));
		r = write_attr(tpg, "nexus", nexus);
		if (r) {
			cairn_seterr(err, errlen, "loopback target %s: cannot set the nexus %s: %s",
				     wwn, nexus, strerror(-r));
			goto out_rmdir_tpg;
		}
	}
	return 0;

out_rmdir_tpg:
	rmdir(tpg);
	return r;
}

/* The target with tpgt_1 .. tpgt_@nr_tpgs, all disabled. */
static int target_create(enum cairn_fabric fabric, const char *wwn,
			 unsigned int nr_tpgs, char *err, size_t errlen)
{
	char tgt[PATH_MAX], tpg[PATH_MAX], name[FC_WWN_NAME_LEN];
	const char *fab;
	unsigned int tag;
	int r;

	if (!valid_target(fabric, wwn, err, errlen))
		return -EINVAL;
	fab = fabric_dir(fabric);
	r = fabric_ready(fabric, err, errlen);
	if (r)
		return r;
	pathf(tgt, "%s/%s/%s", CAIRN_LIO_ROOT, fab,
	      fc_wwn_name(fabric, wwn, name));
	if (mkdir(tgt, 0755)) {
		r = -errno;
		if (r == -EEXIST)
			cairn_seterr(err, errlen, "%s target %s already exists", fab,
				     wwn);
		else
			cairn_seterr(err, errlen, "%s target %s: cannot create: %s",
				     fab, wwn, strerror(-r));
		return r;
	}
	for (tag = 1; tag <= nr_tpgs; tag++) {
		r = make_tpg(fabric, wwn, tgt, tag, err, errlen);
		if (r)
			goto out_rmdir_tpgs;
	}
	return 0;

out_rmdir_tpgs:
	while (--tag > 0) {
		pathf(tpg, "%s/tpgt_%u", tgt, tag);
		rmdir(tpg);
	}
	rmdir(tgt);
	return r;
}

int cairn_lio_target_create(enum cairn_fabric fabric, const char *wwn,
			    char *err, size_t errlen)
{
	return target_create(fabric, wwn, 1, err, errlen);
}

int cairn_lio_target_create_pair(const char *iqn, char *err, size_t errlen)
{
	return target_create(CAIRN_FABRIC_ISCSI, iqn, CAIRN_ALUA_NODES, err,
			     errlen);
}

int cairn_lio_target_exists(enum cairn_fabric fabric, const char *wwn)
{
	char path[PATH_MAX], name[FC_WWN_NAME_LEN];

	if (!cairn_lio_valid_wwn(fabric, wwn, NULL, 0))
		return 0;
	pathf(path, "%s/%s/%s", CAIRN_LIO_ROOT, fabric_dir(fabric),
	      fc_wwn_name(fabric, wwn, name));
	return is_dir(path);
}

int cairn_lio_target_enable(enum cairn_fabric fabric, const char *wwn,
			    bool on, char *err, size_t errlen)
{
	return cairn_lio_tpg_enable(fabric, wwn, 1, on, err, errlen);
}

int cairn_lio_tpg_enable(enum cairn_fabric fabric, const char *wwn,
			 unsigned int tag, bool on, char *err, size_t errlen)
{
	char tpg[PATH_MAX], path[PATH_MAX];
	int r;

	r = tpg_path_tag(fabric, wwn, tag, tpg, err, errlen);
	if (r)
		return r;
	/*
	 * tcm_loop TPGs have no enable, tcm_fc's refuses writes: they are
	 * always on (a tcm_fc TPG serves its port once it has LUNs and ACLs).
	 */
	pathf(path, "%s/enable", tpg);
	if (fabric == CAIRN_FABRIC_FC || access(path, F_OK))
		return 0;
	r = write_attr(tpg, "enable", on ? "1" : "0");
	if (r)
		cairn_seterr(err, errlen, "%s target %s: cannot %s tpgt_%u: %s",
			     fabric_dir(fabric), wwn, on ? "enable" : "disable",
			     tag, strerror(-r));
	return r;
}

static int rmdir_path(const char *path)
{
	return rmdir(path) ? -errno : 0;
}

/* Unmap the ACL's LUNs and remove it. */
static int remove_acl(const char *acl)
{
	struct dirent **names;
	char path[PATH_MAX];
	int i, n, r = 0;

	n = read_names(acl, &names);
	if (n < 0)
		return n;
	for (i = 0; !r && i < n; i++) {
		if (strncmp(names[i]->d_name, "lun_", 4))
			continue;
		pathf(path, "%s/%s", acl, names[i]->d_name);
		if (is_dir(path))
			r = remove_lun_dir(path);
	}
	free_names(names, n);
	return r ? r : rmdir_path(acl);
}

/* One step of a TPG delete: @fn on every path matching @pattern. */
static int remove_each(const char *pattern, int (*fn)(const char *path),
		       const char *what, const char *fab, const char *wwn,
		       char *err, size_t errlen)
{
	glob_t g;
	size_t i;
	int r;

	r = list_paths(pattern, &g);
	for (i = 0; !r && i < g.gl_pathc; i++) {
		r = fn(g.gl_pathv[i]);
		if (r)
			cairn_seterr(err, errlen, "%s target %s: cannot remove %s %s: %s",
				     fab, wwn, what, base_name(g.gl_pathv[i]),
				     strerror(-r));
	}
	globfree(&g);
	return r;
}

static int remove_tpg(const char *tpg, const char *fab, const char *wwn,
		      char *err, size_t errlen)
{
	char path[PATH_MAX], val[8];
	int r;

	/* Disable first: no login races the teardown; sessions close. */
	if (strcmp(fab, "fc") && !read_attr(tpg, "enable", val, sizeof(val)) &&
	    strcmp(val, "0")) {
		r = write_attr(tpg, "enable", "0");
		if (r) {
			cairn_seterr(err, errlen, "%s target %s: cannot disable %s: %s",
				     fab, wwn, base_name(tpg), strerror(-r));
			return r;
		}
	}
	pathf(path, "%s/acls/*", tpg);
	r = remove_each(path, remove_acl, "ACL", fab, wwn, err, errlen);
	if (r)
		return r;
	pathf(path, "%s/lun/lun_*", tpg);
	r = remove_each(path, remove_lun_dir, "LUN", fab, wwn, err, errlen);
	if (r)
		return r;
	pathf(path, "%s/np/*", tpg);
	r = remove_each(path, rmdir_path, "portal", fab, wwn, err, errlen);
	if (r)
		return r;
	if (rmdir(tpg)) {
		r = -errno;
		cairn_seterr(err, errlen, "%s target %s: cannot remove %s: %s", fab,
			     wwn, base_name(tpg), strerror(-r));
	}
	return r;
}

int cairn_lio_target_delete(enum cairn_fabric fabric, const char *wwn,
			    char *err, size_t errlen)
{
	char tgt[PATH_MAX], pattern[PATH_MAX], name[FC_WWN_NAME_LEN];
	const char *fab;
	glob_t g;
	size_t i;
	int r;

	if (!valid_target(fabric, wwn, err, errlen))
		return -EINVAL;
	fab = fabric_dir(fabric);
	pathf(tgt, "%s/%s/%s", CAIRN_LIO_ROOT, fab,
	      fc_wwn_name(fabric, wwn, name));
	if (!is_dir(tgt)) {
		cairn_seterr(err, errlen, "%s target %s: no such target", fab, wwn);
		return -ENOENT;
	}
	pathf(pattern, "%s/tpgt_*", tgt);
	r = list_paths(pattern, &g);
	for (i = 0; !r && i < g.gl_pathc; i++)
		if (is_dir(g.gl_pathv[i]))
			r = remove_tpg(g.gl_pathv[i], fab, wwn, err, errlen);
	globfree(&g);
	if (r)
		return r;
	if (rmdir(tgt)) {
		r = -errno;
		cairn_seterr(err, errlen, "%s target %s: cannot remove: %s", fab,
			     wwn, strerror(-r));
	}
	return r;
}

/* ---------------------------------------------------------------------
 * Portals
 */

/* "<ip>:<port>", IPv6 in brackets, the address in its canonical form. */
static int portal_name(const char *iqn, const char *ip, unsigned int port,
		       char *out, size_t len, char *err, size_t errlen)
{
	char addr[INET6_ADDRSTRLEN], canon[INET6_ADDRSTRLEN];
	unsigned char bin[sizeof(struct in6_addr)];
	size_t n;

	if (!ip || !*ip || port < 1 || port > 65535) {
		cairn_seterr(err, errlen,
			     "iscsi target %s: a portal needs an address and a port 1-65535",
			     iqn);
		return -EINVAL;
	}
	n = strlen(ip);
	if (ip[0] == '[' && n > 2 && ip[n - 1] == ']') {
		ip++;
		n -= 2;
	}
	if (n >= sizeof(addr))
		goto bad;
	memcpy(addr, ip, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, bin) == 1) {
		inet_ntop(AF_INET, bin, canon, sizeof(canon));
		snprintf(out, len, "%s:%u", canon, port);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, bin) == 1) {
		inet_ntop(AF_INET6, bin, canon, sizeof(canon));
		snprintf(out, len, "[%s]:%u", canon, port);
		return 0;
	}
bad:
	cairn_seterr(err, errlen,
		     "iscsi target %s: portal address %s is not an IPv4 or IPv6 address",
		     iqn, ip);
	return -EINVAL;
}

/* The np/ directory of portal @ip:@port of @iqn's TPG, and its name. */
static int portal_dir(const char *iqn, unsigned int tag, const char *ip,
		      unsigned int port, char *np, char *name, size_t namelen,
		      char *err, size_t errlen)
{
	char tpg[PATH_MAX];
	int r;

	r = tpg_path_tag(CAIRN_FABRIC_ISCSI, iqn, tag, tpg, err, errlen);
	if (!r)
		r = portal_name(iqn, ip, port, name, namelen, err, errlen);
	if (!r)
		pathf(np, "%s/np/%s", tpg, name);
	return r;
}

int cairn_lio_portal_create(const char *iqn, const char *ip,
			    unsigned int port, char *err, size_t errlen)
{
	return cairn_lio_tpg_portal_create(iqn, 1, ip, port, err, errlen);
}

int cairn_lio_tpg_portal_create(const char *iqn, unsigned int tag,
				const char *ip, unsigned int port, char *err,
				size_t errlen)
{
	char np[PATH_MAX], name[INET6_ADDRSTRLEN + 16];
	int r;

	r = portal_dir(iqn, tag, ip, port, np, name, sizeof(name), err, errlen);
	if (r)
		return r;
	if (!mkdir(np, 0755))
		return 0;
	r = -errno;
	if (r == -EEXIST)
		cairn_seterr(err, errlen, "portal %s already exists on iscsi target %s",
			     name, iqn);
	else if (r == -EINVAL || r == -EADDRNOTAVAIL)
		cairn_seterr(err, errlen, "portal %s of iscsi target %s: cannot listen "
			     "(is the address one of this node's?): %s",
			     name, iqn, strerror(-r));
	else
		cairn_seterr(err, errlen, "portal %s of iscsi target %s: cannot listen: %s",
			     name, iqn, strerror(-r));
	return r;
}

int cairn_lio_portal_delete(const char *iqn, const char *ip,
			    unsigned int port, char *err, size_t errlen)
{
	return cairn_lio_tpg_portal_delete(iqn, 1, ip, port, err, errlen);
}

int cairn_lio_tpg_portal_delete(const char *iqn, unsigned int tag,
				const char *ip, unsigned int port, char *err,
				size_t errlen)
{
	char np[PATH_MAX], name[INET6_ADDRSTRLEN + 16];
	int r;

	r = portal_dir(iqn, tag, ip, port, np, name, sizeof(name), err, errlen);
	if (r)
		return r;
	if (!rmdir(np))
		return 0;
	r = -errno;
	if (r == -ENOENT)
		cairn_seterr(err, errlen, "portal %s of iscsi target %s: no such portal",
			     name, iqn);
	else
		cairn_seterr(err, errlen, "portal %s of iscsi target %s: cannot remove: %s",
			     name, iqn, strerror(-r));
	return r;
}

/* ---------------------------------------------------------------------
 * LUNs, and their mapping into ACLs
 */

/* acls/<init>/lun_N -> the TPG's lun_N, read-write. */
static int map_lun(const char *acl, uint32_t lun, const char *tpg_lun)
{
	char mlun[PATH_MAX], link[PATH_MAX], alias[LIO_ALIAS_LEN + 1];
	int r;

	pathf(mlun, "%s/lun_%u", acl, lun);
	if (mkdir(mlun, 0755))
		return -errno;
	new_alias(alias);
	pathf(link, "%s/%s", mlun, alias);
	if (symlink(tpg_lun, link)) {
		r = -errno;
		rmdir(mlun);
		return r;
	}
	r = write_attr(mlun, "write_protect", "0");
	if (r)
		remove_lun_dir(mlun);
	return r;
}

/* Remove every mapped LUN of the TPG that points at @tpg_lun. */
static int unmap_lun(const char *tpg, const char *tpg_lun, const char *fab,
		     const char *wwn, uint32_t lun, char *err, size_t errlen)
{
	char pattern[PATH_MAX], real[PATH_MAX], target[PATH_MAX];
	glob_t g;
	size_t i;
	int r;

	if (!realpath(tpg_lun, real))
		return 0;
	pathf(pattern, "%s/acls/*/lun_*", tpg);
	r = list_paths(pattern, &g);
	for (i = 0; !r && i < g.gl_pathc; i++) {
		char *m = g.gl_pathv[i];

		if (link_target(m, target) || strcmp(target, real))
			continue;
		r = remove_lun_dir(m);
		if (r) {
			char *slash = strrchr(m, '/');

			*slash = '\0';
			cairn_seterr(err, errlen, "LUN %u of %s target %s: "
				     "cannot unmap it from ACL %s: %s",
				     lun, fab, wwn, base_name(m), strerror(-r));
		}
	}
	globfree(&g);
	return r;
}

/* LUN @lun of TPG @tpg on backstore @so, mapped into the TPG's ACLs. */
static int lun_create_in(enum cairn_fabric fabric, const char *wwn,
			 const char *tpg, uint32_t lun, const char *so,
			 const char *backstore, char *err, size_t errlen)
{
	char dir[PATH_MAX], link[PATH_MAX], pattern[PATH_MAX];
	char alias[LIO_ALIAS_LEN + 1];
	const char *fab = fabric_dir(fabric), *tname = base_name(tpg);
	glob_t g;
	size_t i, done = 0;
	int r;

	pathf(dir, "%s/lun/lun_%u", tpg, lun);
	if (mkdir(dir, 0755)) {
		r = -errno;
		if (r == -EEXIST)
			cairn_seterr(err, errlen, "LUN %u of %s target %s already exists",
				     lun, fab, wwn);
		else
			cairn_seterr(err, errlen, "LUN %u of %s target %s (%s): cannot create: %s",
				     lun, fab, wwn, tname, strerror(-r));
		return r;
	}
	new_alias(alias);
	pathf(link, "%s/%s", dir, alias);
	if (symlink(so, link)) {
		r = -errno;
		cairn_seterr(err, errlen, "LUN %u of %s target %s: cannot link backstore %s: %s",
			     lun, fab, wwn, backstore, strerror(-r));
		rmdir(dir);
		return r;
	}
	if (fabric == CAIRN_FABRIC_LOOPBACK)
		return 0;

	pathf(pattern, "%s/acls/*", tpg);
	r = list_paths(pattern, &g);
	if (r)
		cairn_seterr(err, errlen, "LUN %u of %s target %s: cannot list ACLs: %s",
			     lun, fab, wwn, strerror(-r));
	for (i = 0; !r && i < g.gl_pathc; i++) {
		r = map_lun(g.gl_pathv[i], lun, dir);
		if (!r) {
			done++;
			continue;
		}
		cairn_seterr(err, errlen, "LUN %u of %s target %s: cannot map it into ACL %s: %s",
			     lun, fab, wwn, base_name(g.gl_pathv[i]),
			     r == -EEXIST ? "the ACL already maps that LUN number" :
			     strerror(-r));
	}
	if (r) {
		for (i = 0; i < done; i++) {
			pathf(link, "%s/lun_%u", g.gl_pathv[i], lun);
			remove_lun_dir(link);
		}
		remove_lun_dir(dir);
	}
	globfree(&g);
	return r;
}

/* Unmap LUN @lun of TPG @tpg from its ACLs and remove it. */
static int lun_delete_in(enum cairn_fabric fabric, const char *wwn,
			 const char *tpg, uint32_t lun, char *err,
			 size_t errlen)
{
	const char *fab = fabric_dir(fabric);
	char dir[PATH_MAX];
	int r;

	pathf(dir, "%s/lun/lun_%u", tpg, lun);
	if (fabric != CAIRN_FABRIC_LOOPBACK) {
		r = unmap_lun(tpg, dir, fab, wwn, lun, err, errlen);
		if (r)
			return r;
	}
	r = remove_lun_dir(dir);
	if (r)
		cairn_seterr(err, errlen, "LUN %u of %s target %s: cannot remove: %s",
			     lun, fab, wwn, strerror(-r));
	return r;
}

int cairn_lio_lun_create(enum cairn_fabric fabric, const char *wwn,
			 uint32_t lun, const char *backstore,
			 char *err, size_t errlen)
{
	char so[PATH_MAX], dir[PATH_MAX], err2[64];
	const char *fab;
	glob_t g;
	size_t i;
	int r;

	r = target_tpgs(fabric, wwn, &g, err, errlen);
	if (r)
		return r;
	fab = fabric_dir(fabric);
	if (lun > LIO_MAX_LUN) {
		cairn_seterr(err, errlen, "LUN %u of %s target %s: LUN numbers are 0 to %u",
			     lun, fab, wwn, LIO_MAX_LUN);
		r = -ERANGE;
		goto out;
	}
	if (!valid_backstore_name(backstore, err, errlen)) {
		r = -EINVAL;
		goto out;
	}
	if (find_backstore(backstore, so)) {
		cairn_seterr(err, errlen, "LUN %u of %s target %s: no such backstore %s",
			     lun, fab, wwn, backstore);
		r = -ENOENT;
		goto out;
	}
	for (i = 0; i < g.gl_pathc; i++) {
		pathf(dir, "%s/lun/lun_%u", g.gl_pathv[i], lun);
		if (is_dir(dir)) {
			cairn_seterr(err, errlen, "LUN %u of %s target %s already exists",
				     lun, fab, wwn);
			r = -EEXIST;
			goto out;
		}
	}
	/*
	 * tpgt_1 first, then tpgt_2: LIO numbers a backstore's ports (the
	 * relative target port identifier) in the order they are made.
	 */
	for (i = 0; i < g.gl_pathc; i++) {
		r = lun_create_in(fabric, wwn, g.gl_pathv[i], lun, so,
				  backstore, err, errlen);
		if (r)
			break;
	}
	while (r && i-- > 0)
		lun_delete_in(fabric, wwn, g.gl_pathv[i], lun, err2,
			      sizeof(err2));
out:
	globfree(&g);
	return r;
}

int cairn_lio_lun_delete(enum cairn_fabric fabric, const char *wwn,
			 uint32_t lun, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	bool found = false;
	glob_t g;
	size_t i;
	int r;

	r = target_tpgs(fabric, wwn, &g, err, errlen);
	if (r)
		return r;
	for (i = 0; !r && i < g.gl_pathc; i++) {
		pathf(dir, "%s/lun/lun_%u", g.gl_pathv[i], lun);
		if (!is_dir(dir))
			continue;
		found = true;
		r = lun_delete_in(fabric, wwn, g.gl_pathv[i], lun, err, errlen);
	}
	globfree(&g);
	if (!r && !found) {
		cairn_seterr(err, errlen, "LUN %u of %s target %s: no such LUN", lun,
			     fabric_dir(fabric), wwn);
		r = -ENOENT;
	}
	return r;
}

/* ---------------------------------------------------------------------
 * ACLs and CHAP
 */

static const char *secret_problem(const char *s)
{
	if (strnlen(s, CAIRN_SECRET_LEN) >= CAIRN_SECRET_LEN)
		return "longer than 255 bytes";
	if (!strcmp(s, "NULL"))
		return "\"NULL\" is reserved by LIO";
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return "control characters are not allowed";
	return NULL;
}

/* The CHAP fields of an ACL and the auth attributes they go to. */
static const struct {
	const char *attr, *what;
	size_t offset;
} chap_fields[] = {
	{ "auth/userid", "userid", offsetof(struct cairn_cfg_acl, userid) },
	{ "auth/password", "password",
	  offsetof(struct cairn_cfg_acl, password) },
	{ "auth/userid_mutual", "mutual userid",
	  offsetof(struct cairn_cfg_acl, mutual_userid) },
	{ "auth/password_mutual", "mutual password",
	  offsetof(struct cairn_cfg_acl, mutual_password) },
};

static const char *chap_field(const struct cairn_cfg_acl *acl, unsigned int i)
{
	return (const char *)acl + chap_fields[i].offset;
}

static int check_auth(const char *iqn, const struct cairn_cfg_acl *acl,
		      char *err, size_t errlen)
{
	const char *why = NULL;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(chap_fields); i++) {
		why = secret_problem(chap_field(acl, i));
		if (why) {
			cairn_seterr(err, errlen, "ACL %s of iscsi target %s: CHAP %s: %s",
				     acl->initiator, iqn, chap_fields[i].what, why);
			return -EINVAL;
		}
	}
	if (!acl->userid[0] != !acl->password[0])
		why = "a CHAP userid needs a password and the other way round";
	else if (!acl->mutual_userid[0] != !acl->mutual_password[0])
		why = "a mutual CHAP userid needs a password and the other way round";
	else if (acl->mutual_userid[0] && !acl->userid[0])
		why = "mutual CHAP needs CHAP (userid and password) as well";
	if (why) {
		cairn_seterr(err, errlen, "ACL %s of iscsi target %s: %s",
			     acl->initiator, iqn, why);
		return -EINVAL;
	}
	return 0;
}

/* The four auth attributes; an empty string clears ("NULL" to LIO). */
static int write_auth(const char *dir, const char *iqn,
		      const struct cairn_cfg_acl *acl, char *err, size_t errlen)
{
	unsigned int i;
	int r;

	for (i = 0; i < ARRAY_SIZE(chap_fields); i++) {
		const char *val = chap_field(acl, i);

		r = write_attr(dir, chap_fields[i].attr, val[0] ? val : "NULL");
		if (r) {
			cairn_seterr(err, errlen, "ACL %s of iscsi target %s: cannot write %s: %s",
				     acl->initiator, iqn, chap_fields[i].attr,
				     strerror(-r));
			return r;
		}
	}
	return 0;
}

/*
 * The ACL directory of @initiator on target @wwn.  An FC initiator is an
 * FC port name like its target (an FC target has no other initiators).
 */
static int acl_path(enum cairn_fabric fabric, const char *wwn,
		    const char *initiator, char *tpg, char *out, char *err,
		    size_t errlen)
{
	char why[320], name[FC_WWN_NAME_LEN];
	int r;

	if (fabric == CAIRN_FABRIC_LOOPBACK) {
		cairn_seterr(err, errlen, "loopback target %s: a loopback target has no ACLs",
			     wwn);
		return -EINVAL;
	}
	r = tpg_path(fabric, wwn, tpg, err, errlen);
	if (r)
		return r;
	if (!cairn_lio_valid_wwn(fabric, initiator, why, sizeof(why))) {
		cairn_seterr(err, errlen, "ACL of %s target %s: %s",
			     fabric_dir(fabric), wwn, why);
		return -EINVAL;
	}
	pathf(out, "%s/acls/%s", tpg, fc_wwn_name(fabric, initiator, name));
	return 0;
}

/* ACL @acl in TPG @tpg, with every LUN of the TPG mapped into it. */
static int acl_create_in(enum cairn_fabric fabric, const char *wwn,
			 const char *tpg, const struct cairn_cfg_acl *acl,
			 char *err, size_t errlen)
{
	char dir[PATH_MAX], pattern[PATH_MAX], name[FC_WWN_NAME_LEN];
	const char *num, *fab = fabric_dir(fabric);
	glob_t g;
	size_t i;
	int r;

	pathf(dir, "%s/acls/%s", tpg, fc_wwn_name(fabric, acl->initiator, name));
	if (mkdir(dir, 0755)) {
		r = -errno;
		if (r == -EEXIST)
			cairn_seterr(err, errlen, "ACL %s of %s target %s already exists",
				     acl->initiator, fab, wwn);
		else
			cairn_seterr(err, errlen, "ACL %s of %s target %s: cannot create: %s",
				     acl->initiator, fab, wwn, strerror(-r));
		return r;
	}
	pathf(pattern, "%s/lun/lun_*", tpg);
	r = list_paths(pattern, &g);
	if (r)
		cairn_seterr(err, errlen, "ACL %s of %s target %s: cannot list LUNs: %s",
			     acl->initiator, fab, wwn, strerror(-r));
	for (i = 0; !r && i < g.gl_pathc; i++) {
		unsigned long n;
		char *end;

		num = base_name(g.gl_pathv[i]) + 4;
		n = strtoul(num, &end, 10);
		if (end == num || *end || n > UINT32_MAX)
			continue;
		r = map_lun(dir, n, g.gl_pathv[i]);
		if (r)
			cairn_seterr(err, errlen, "ACL %s of %s target %s: cannot map LUN %lu: %s",
				     acl->initiator, fab, wwn, n, strerror(-r));
	}
	globfree(&g);
	if (!r && fabric == CAIRN_FABRIC_ISCSI)
		r = write_auth(dir, wwn, acl, err, errlen);
	if (r)
		remove_acl(dir);
	return r;
}

/* The ACL directory of @initiator in TPG directory @tpg. */
static void acl_in(enum cairn_fabric fabric, const char *tpg,
		   const char *initiator, char *out)
{
	char name[FC_WWN_NAME_LEN];

	pathf(out, "%s/acls/%s", tpg, fc_wwn_name(fabric, initiator, name));
}

int cairn_lio_acl_create(enum cairn_fabric fabric, const char *wwn,
			 const struct cairn_cfg_acl *acl, char *err,
			 size_t errlen)
{
	char tpg[PATH_MAX], dir[PATH_MAX];
	const char *fab = fabric_dir(fabric);
	glob_t g;
	size_t i;
	int r;

	if (!acl || !fab) {
		cairn_seterr(err, errlen, "target %s: no ACL given", wwn);
		return -EINVAL;
	}
	r = acl_path(fabric, wwn, acl->initiator, tpg, dir, err, errlen);
	if (!r && fabric == CAIRN_FABRIC_ISCSI)
		r = check_auth(wwn, acl, err, errlen);
	if (!r && fabric != CAIRN_FABRIC_ISCSI &&
	    (acl->userid[0] || acl->mutual_userid[0])) {
		cairn_seterr(err, errlen, "ACL %s of %s target %s: only iSCSI has CHAP",
			     acl->initiator, fab, wwn);
		r = -EINVAL;
	}
	if (!r)
		r = target_tpgs(fabric, wwn, &g, err, errlen);
	if (r)
		return r;
	/* The same ACL in every TPG of the target. */
	for (i = 0; !r && i < g.gl_pathc; i++) {
		acl_in(fabric, g.gl_pathv[i], acl->initiator, dir);
		if (is_dir(dir)) {
			cairn_seterr(err, errlen, "ACL %s of %s target %s already exists",
				     acl->initiator, fab, wwn);
			r = -EEXIST;
		}
	}
	for (i = 0; !r && i < g.gl_pathc; i++)
		r = acl_create_in(fabric, wwn, g.gl_pathv[i], acl, err, errlen);
	if (r && i > 0) {
		for (i--; i-- > 0;) {
			acl_in(fabric, g.gl_pathv[i], acl->initiator, dir);
			remove_acl(dir);
		}
	}
	globfree(&g);
	return r;
}

int cairn_lio_acl_set_auth(const char *iqn, const struct cairn_cfg_acl *acl,
			   char *err, size_t errlen)
{
	char tpg[PATH_MAX], dir[PATH_MAX];
	glob_t g;
	size_t i;
	int r;

	if (!acl) {
		cairn_seterr(err, errlen, "iscsi target %s: no ACL given", iqn);
		return -EINVAL;
	}
	r = acl_path(CAIRN_FABRIC_ISCSI, iqn, acl->initiator, tpg, dir, err,
		     errlen);
	if (!r)
		r = check_auth(iqn, acl, err, errlen);
	if (r)
		return r;
	if (!is_dir(dir)) {
		cairn_seterr(err, errlen, "ACL %s of iscsi target %s: no such ACL",
			     acl->initiator, iqn);
		return -ENOENT;
	}
	r = target_tpgs(CAIRN_FABRIC_ISCSI, iqn, &g, err, errlen);
	if (r)
		return r;
	for (i = 0; !r && i < g.gl_pathc; i++) {
		acl_in(CAIRN_FABRIC_ISCSI, g.gl_pathv[i], acl->initiator, dir);
		if (is_dir(dir))
			r = write_auth(dir, iqn, acl, err, errlen);
	}
	globfree(&g);
	return r;
}

int cairn_lio_acl_delete(enum cairn_fabric fabric, const char *wwn,
			 const char *initiator, char *err, size_t errlen)
{
	char tpg[PATH_MAX], dir[PATH_MAX];
	bool found = false;
	glob_t g;
	size_t i;
	int r;

	r = acl_path(fabric, wwn, initiator, tpg, dir, err, errlen);
	if (!r)
		r = target_tpgs(fabric, wwn, &g, err, errlen);
	if (r)
		return r;
	for (i = 0; !r && i < g.gl_pathc; i++) {
		acl_in(fabric, g.gl_pathv[i], initiator, dir);
		if (!is_dir(dir))
			continue;
		found = true;
		r = remove_acl(dir);
		if (r)
			cairn_seterr(err, errlen, "ACL %s of %s target %s: cannot remove: %s",
				     initiator, fabric_dir(fabric), wwn, strerror(-r));
	}
	globfree(&g);
	if (!r && !found) {
		cairn_seterr(err, errlen, "ACL %s of %s target %s: no such ACL",
			     initiator, fabric_dir(fabric), wwn);
		r = -ENOENT;
	}
	return r;
}

int cairn_lio_set_chap_required(const char *iqn, bool on,
				char *err, size_t errlen)
{
	glob_t g;
	size_t i;
	int r;

	r = target_tpgs(CAIRN_FABRIC_ISCSI, iqn, &g, err, errlen);
	if (r)
		return r;
	for (i = 0; !r && i < g.gl_pathc; i++) {
		r = write_attr(g.gl_pathv[i], "attrib/authentication",
			       on ? "1" : "0");
		if (r)
			cairn_seterr(err, errlen, "iscsi target %s: cannot set %s "
				     "attrib/authentication=%d: %s", iqn,
				     base_name(g.gl_pathv[i]), on, strerror(-r));
	}
	globfree(&g);
	return r;
}

/* ---------------------------------------------------------------------
 * ALUA: one LUN identity on the two nodes of a pair
 */

#define ALUA_GROUP_PREFIX	"cairn_"

/* core/<hba>/<backstore>/alua/cairn_<node>, after checking @node. */
static int alua_group_path(const char *so, const char *backstore,
			   const char *node, char *out, char *err,
			   size_t errlen)
{
	if (!node || !cairn_valid_name(node)) {
		cairn_seterr(err, errlen, "backstore %s: %s is not a node name "
			     "(1-64 of A-Z a-z 0-9 . _ -)", backstore,
			     node ? node : "(none)");
		return -EINVAL;
	}
	pathf(out, "%s/alua/" ALUA_GROUP_PREFIX "%s", so, node);
	return 0;
}

/* The backstore directory LUN @lun of tpgt_1 of @iqn links to. */
static int lun_backstore(const char *iqn, uint32_t lun, char *so, char *err,
			 size_t errlen)
{
	char tpg[PATH_MAX], dir[PATH_MAX];
	int r;

	r = tpg_path(CAIRN_FABRIC_ISCSI, iqn, tpg, err, errlen);
	if (r)
		return r;
	pathf(dir, "%s/lun/lun_%u", tpg, lun);
	r = link_target(dir, so);
	if (r)
		cairn_seterr(err, errlen, "LUN %u of iscsi target %s: %s", lun, iqn,
			     r == -ENOENT ? "no such LUN" : strerror(-r));
	return r;
}

/*
 * Target port group cairn_<node> with @id on backstore @so, implicit
 * ALUA; 1 if it was made now, 0 if it was there with that id.
 */
static int alua_group_make(const char *so, const char *node, uint32_t id,
			   char *err, size_t errlen)
{
	const char *bs = base_name(so);
	char grp[PATH_MAX], val[16];
	uint32_t cur;
	int r;

	r = alua_group_path(so, bs, node, grp, err, errlen);
	if (r)
		return r;
	if (is_dir(grp)) {
		r = read_attr_u32(grp, "tg_pt_gp_id", &cur);
		if (r) {
			cairn_seterr(err, errlen, "backstore %s: ALUA group %s: "
				     "cannot read tg_pt_gp_id: %s", bs, base_name(grp),
				     strerror(-r));
			return r;
		}
		if (cur != id) {
			cairn_seterr(err, errlen, "backstore %s: ALUA group %s has id %u, not %u "
				     "(is the volume exported by another target with other nodes?)",
				     bs, base_name(grp), cur, id);
			return -EEXIST;
		}
		return 0;
	}
	if (mkdir(grp, 0755)) {
		r = -errno;
		cairn_seterr(err, errlen, "backstore %s: cannot create ALUA group %s: %s",
			     bs, base_name(grp), strerror(-r));
		return r;
	}
	snprintf(val, sizeof(val), "%u", id);
	r = write_attr(grp, "tg_pt_gp_id", val);
	if (r) {
		cairn_seterr(err, errlen,
			     "backstore %s: ALUA group %s: cannot set tg_pt_gp_id %u%s: %s",
			     bs, base_name(grp), id,
			     r == -EINVAL ? " (another group of the backstore has it?)" : "",
			     strerror(-r));
		goto out_rmdir;
	}
	r = write_attr(grp, "alua_access_type", "1");
	if (r) {
		cairn_seterr(err, errlen, "backstore %s: ALUA group %s: cannot set "
			     "alua_access_type 1 (implicit): %s", bs, base_name(grp),
			     strerror(-r));
		goto out_rmdir;
	}
	return 1;

out_rmdir:
	rmdir(grp);
	return r;
}

/* Remove the target port groups of a backstore (not default_tg_pt_gp). */
static int alua_groups_remove(const char *so)
{
	struct dirent **names;
	char dir[PATH_MAX], path[PATH_MAX];
	int i, n, r = 0;

	pathf(dir, "%s/alua", so);
	if (!is_dir(dir))
		return 0;
	n = read_names(dir, &names);
	if (n < 0)
		return n;
	for (i = 0; !r && i < n; i++) {
		if (!strcmp(names[i]->d_name, "default_tg_pt_gp"))
			continue;
		pathf(path, "%s/%s", dir, names[i]->d_name);
		if (is_dir(path) && rmdir(path))
			r = -errno;
	}
	free_names(names, n);
	return r;
}

int cairn_lio_alua_attach(const char *iqn, uint32_t lun,
			  const char *const nodes[CAIRN_ALUA_NODES],
			  char *err, size_t errlen)
{
	char so[PATH_MAX], tpg[PATH_MAX], dir[PATH_MAX], group[80], cur[512];
	unsigned int i, made = 0;
	int r;

	r = lun_backstore(iqn, lun, so, err, errlen);
	if (r)
		return r;
	if (!strcmp(nodes[0], nodes[1])) {
		cairn_seterr(err, errlen, "iscsi target %s: the two nodes are both %s",
			     iqn, nodes[0]);
		return -EINVAL;
	}
	for (i = 0; i < CAIRN_ALUA_NODES; i++) {
		r = tpg_path_tag(CAIRN_FABRIC_ISCSI, iqn, i + 1, tpg, err,
				 errlen);
		if (r)
			return r;
		pathf(dir, "%s/lun/lun_%u", tpg, lun);
		if (!is_dir(dir)) {
			cairn_seterr(err, errlen, "LUN %u of iscsi target %s: not in tpgt_%u",
				     lun, iqn, i + 1);
			return -ENOENT;
		}
		r = alua_group_make(so, nodes[i], i + 1, err, errlen);
		if (r < 0)
			return r;
		made += r;
		snprintf(group, sizeof(group), ALUA_GROUP_PREFIX "%s", nodes[i]);
		/* "TG Port Alias: <group>\n...": in it already, leave it. */
		if (!read_attr(dir, "alua_tg_pt_gp", cur, sizeof(cur)) &&
		    !strncmp(cur, "TG Port Alias: ", 15) &&
		    !strncmp(cur + 15, group, strlen(group)) &&
		    cur[15 + strlen(group)] == '\n')
			continue;
		r = write_attr(dir, "alua_tg_pt_gp", group);
		if (r) {
			cairn_seterr(err, errlen, "LUN %u of iscsi target %s: cannot put tpgt_%u "
				     "into ALUA group %s: %s", lun, iqn, i + 1, group,
				     strerror(-r));
			return r;
		}
	}
	return made ? 1 : 0;
}

/* The backstore directory of @backstore and its group of @node. */
static int alua_group(const char *backstore, const char *node, char *grp,
		      char *err, size_t errlen)
{
	char so[PATH_MAX];
	int r;

	if (!valid_backstore_name(backstore, err, errlen))
		return -EINVAL;
	if (find_backstore(backstore, so)) {
		cairn_seterr(err, errlen, "backstore %s: no such backstore", backstore);
		return -ENOENT;
	}
	r = alua_group_path(so, backstore, node, grp, err, errlen);
	if (r)
		return r;
	if (!is_dir(grp)) {
		cairn_seterr(err, errlen, "backstore %s: no ALUA group %s", backstore,
			     base_name(grp));
		return -ENOENT;
	}
	return 0;
}

int cairn_lio_alua_set_state(const char *backstore, const char *node,
			     int state, char *err, size_t errlen)
{
	char grp[PATH_MAX], val[16];
	uint32_t cur;
	int r;

	if (state != CAIRN_ALUA_OPTIMIZED && state != CAIRN_ALUA_STANDBY &&
	    state != CAIRN_ALUA_UNAVAILABLE) {
		cairn_seterr(err, errlen, "backstore %s: ALUA state %d is not one Cairn sets",
			     backstore, state);
		return -EINVAL;
	}
	r = alua_group(backstore, node, grp, err, errlen);
	if (r)
		return r;
	/*
	 * LIO goes through "transitioning" and queues a unit attention for
	 * every write, even of the state the group is in: skip those.
	 */
	if (!read_attr_u32(grp, "alua_access_state", &cur) &&
	    cur == (uint32_t)state)
		return 0;
	snprintf(val, sizeof(val), "%d", state);
	r = write_attr(grp, "alua_access_state", val);
	if (r)
		cairn_seterr(err, errlen,
			     "backstore %s: ALUA group %s: cannot set the state %s: %s",
			     backstore, base_name(grp), cairn_alua_state_name(state),
			     strerror(-r));
	return r;
}

int cairn_lio_alua_get(const char *backstore, const char *node, uint32_t *id,
		       int *state, char *err, size_t errlen)
{
	char grp[PATH_MAX];
	uint32_t v;
	int r;

	r = alua_group(backstore, node, grp, err, errlen);
	if (r)
		return r;
	r = read_attr_u32(grp, "tg_pt_gp_id", id);
	if (!r)
		r = read_attr_u32(grp, "alua_access_state", &v);
	if (r) {
		cairn_seterr(err, errlen, "backstore %s: ALUA group %s: cannot read it: %s",
			     backstore, base_name(grp), strerror(-r));
		return r;
	}
	*state = v;
	return 0;
}

int cairn_lio_lun_rtpi(enum cairn_fabric fabric, const char *wwn,
		       unsigned int tag, uint32_t lun, uint32_t *rtpi)
{
	char tpg[PATH_MAX], dir[PATH_MAX];
	int r;

	r = tpg_path_tag(fabric, wwn, tag, tpg, NULL, 0);
	if (r)
		return r;
	pathf(dir, "%s/lun/lun_%u/statistics/scsi_tgt_port", tpg, lun);
	return read_attr_u32(dir, "indx", rtpi);
}

const char *cairn_alua_state_name(int state)
{
	switch (state) {
	case CAIRN_ALUA_OPTIMIZED:
		return "active/optimized";
	case CAIRN_ALUA_NONOPTIMIZED:
		return "active/non-optimized";
	case CAIRN_ALUA_STANDBY:
		return "standby";
	case CAIRN_ALUA_UNAVAILABLE:
		return "unavailable";
	case CAIRN_ALUA_OFFLINE:
		return "offline";
	case CAIRN_ALUA_TRANSITION:
		return "transitioning";
	}
	return "unknown";
}
