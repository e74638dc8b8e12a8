# SPDX-License-Identifier: GPL-2.0
#
# Cairn top-level build.
#
#   make setup        install every Debian package the project needs (root)
#   make              cairn.ko (Kbuild) and the userspace build
#   make check        userspace tests, then in-VM tests
#   make check-unit   userspace tests only
#   make check-vm     in-VM tests only (T=group/NNN to pick some)
#   make torture      the seeded fault campaign, SEEDS=N random seeds
#   make lint         checkpatch --strict, sparse, shellcheck
#   make bench        cairn volumes vs dm-linear/dm-thin; iSCSI vs LIO ramdisk/iblock;
#                     the mirror vs DRBD 8.4 protocol C (also alone: make bench-mirror);
#                     failover time and the host's I/O gap (make bench-failover);
#                     the RAM cache vs dm-writecache (make bench-cache);
#                     one LU through FC (FCoE) vs iSCSI (make bench-fc)
#   make bench-core   instruction counts of the core's operations (callgrind)
#   make demo         the main job in a VM: pool, volumes, iSCSI, host I/O
#   make install      install the module and the userland tools
#                     (install-module, install-progs; PREFIX, DESTDIR)
#   make deb          Debian packages cairn-dkms and cairn-utils, built with
#                     debhelper from a copy of the tree, checked by lintian,
#                     under build/deb/
#
# The release number is the one line of VERSION: cairn.ko (kmod/Kbuild),
# cairnctl, the manual pages, dkms.conf and debian/changelog take it from
# there.
#
# Kernel objects are built by Kbuild next to their sources in kmod/;
# userspace objects go under build/user/ (build/user/san for the
# sanitizer build of kmod/core used by the tests).

KVER ?= $(shell cat build/kernel/KVER 2>/dev/null)
KDIR ?= /usr/src/linux-headers-$(KVER)
PREFIX ?= /usr/local
UNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
VERSION := $(shell cat VERSION)

B := build/user
CC ?= cc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror=implicit-function-declaration -Wno-unused-parameter \
	-Wno-missing-field-initializers
CPPFLAGS_ALL := -D_GNU_SOURCE -Ikmod -Ikmod/core -Iuserland/lib \
	-DCAIRN_VERSION='"$(VERSION)"' $(CPPFLAGS)
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

USER_PKGS := libnl-genl-3.0 json-c devmapper libkmod liburcu libedit libcrypto
NL_CFLAGS := $(shell pkg-config --cflags $(USER_PKGS) 2>/dev/null)
NL_LIBS := $(shell pkg-config --libs $(USER_PKGS) 2>/dev/null)

CORE_SRCS := kmod/core/names.c kmod/core/super.c kmod/core/map.c kmod/core/pool.c kmod/core/wire.c kmod/core/mmeta.c \
	kmod/core/handshake.c \
	kmod/core/user/crc32c.c
# libcairn: everything in userland/lib and the LIO helpers in target-fabric.
LIB_SRCS := $(wildcard userland/lib/*.c) $(wildcard target-fabric/*.c)
UNIT_TESTS := test_names test_crc32c test_super test_map test_pool test_crash \
	test_check test_wire test_mmeta test_peers test_quorum test_fc test_alua test_cache \
	test_handshake

FUZZ_TARGETS := fuzz_super fuzz_metadata fuzz_wire

CORE_SAN_OBJS := $(CORE_SRCS:%.c=$(B)/san/%.o)
CORE_OBJS := $(CORE_SRCS:%.c=$(B)/rel/%.o)
CORE_FUZZ_OBJS := $(CORE_SRCS:%.c=$(B)/fuzz/%.o)
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/rel/%.o)
CAIRNCTL_OBJS := $(patsubst %.c,$(B)/rel/%.o,$(wildcard userland/cairnctl/*.c))
CAIRND_OBJS := $(patsubst %.c,$(B)/rel/%.o,$(wildcard userland/cairnd/*.c))

.SECONDARY:

.PHONY: all modules user progs setup check check-unit check-vm torture lint demo install \
	install-module install-progs install-dkms-src deb clean bench-core bench \
	bench-mirror bench-failover bench-cache bench-fc

all: modules user

setup:
	bash tools/setup.sh

modules:
	@test -n "$(KVER)" || { echo "no kernel ABI known: run make setup" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# What is installed: the programs and the generated manual page.
PROGS := $(B)/bin/cairnctl $(B)/man/cairnctl.8 $(B)/bin/cairnd $(B)/bin/cairn-check

progs: $(PROGS)

user: $(PROGS) $(B)/tests/bin/pcut $(B)/tests/bin/nlbad $(B)/tests/bin/mlink \
      $(B)/tests/bin/cairnctl-fake \
      $(UNIT_TESTS:%=$(B)/tests/%) \
      $(FUZZ_TARGETS:%=$(B)/fuzz/bin/%) $(B)/fuzz/bin/gen_seeds

$(B)/rel/%.o: %.c VERSION
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS_ALL) $(NL_CFLAGS) -MMD -c -o $@ $<

$(B)/san/%.o: %.c VERSION
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) $(WARN) $(CPPFLAGS_ALL) -MMD -c -o $@ $<

# libFuzzer targets: clang, with ASan and UBSan.
$(B)/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	clang -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all $(WARN) $(CPPFLAGS_ALL) -MMD -c -o $@ $<

$(B)/fuzz/bin/gen_seeds: $(B)/san/tests/fuzz/gen_seeds.o $(CORE_SAN_OBJS) $(B)/san/tests/unit/simdev.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ -lpthread

$(B)/fuzz/bin/%: $(B)/fuzz/tests/fuzz/%.o $(CORE_FUZZ_OBJS) $(B)/fuzz/tests/unit/simdev.o
	@mkdir -p $(dir $@)
	clang -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -o $@ $^ -lpthread

$(B)/libcairn.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(B)/libcairncore-san.a: $(CORE_SAN_OBJS)
	$(AR) rcs $@ $^

$(B)/libcairncore.a: $(CORE_OBJS)
	$(AR) rcs $@ $^

$(B)/bin/cairnctl: $(CAIRNCTL_OBJS) $(B)/libcairn.a $(B)/libcairncore.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(NL_LIBS) -lpthread

# The manual page comes from cairnctl's command table.
$(B)/man/cairnctl.8: $(B)/bin/cairnctl
	@mkdir -p $(dir $@)
	$< --man >$@.tmp && mv $@.tmp $@

$(B)/bin/cairnd: $(CAIRND_OBJS) $(B)/libcairn.a $(B)/libcairncore.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(NL_LIBS) -lpthread

$(B)/bin/cairn-check: $(B)/rel/userland/cairn-check/cairn-check.o $(B)/libcairn.a \
		      $(B)/libcairncore.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lpthread

# Helpers of the in-VM tests.
$(B)/tests/bin/pcut: tests/vm/tools/pcut.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -o $@ $<

$(B)/tests/bin/mlink: $(B)/rel/tests/vm/tools/mlink.o $(B)/libcairn.a $(B)/libcairncore.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(NL_LIBS) -lpthread

$(B)/tests/bin/nlbad: tests/vm/tools/nlbad.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS_ALL) $(NL_CFLAGS) -o $@ $< $(NL_LIBS)

# Helpers the unit tests share (simulated devices).
TEST_HELPERS := $(B)/san/tests/unit/simdev.o $(B)/san/userland/lib/fileio.o

$(B)/tests/%: $(B)/san/tests/unit/%.o $(TEST_HELPERS) $(B)/libcairncore-san.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ -lpthread

# The peers' configuration and protocol: libcairn itself, with its libraries.
$(B)/tests/test_peers: $(B)/san/tests/unit/test_peers.o $(B)/libcairn.a $(B)/libcairncore.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(NL_LIBS) -lpthread

# The RAM cache's configuration: libcairn too.
$(B)/tests/test_cache: $(B)/san/tests/unit/test_cache.o $(B)/libcairn.a $(B)/libcairncore.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(NL_LIBS) -lpthread

# cairnctl on a stand-in for the kernel's RAM cache commands (ld --wrap):
# tests/unit/cache_cli.sh drives it.
comma := ,
FAKE_WRAPS := $(patsubst %,-Wl$(comma)--wrap=cairn_%,nl_open nl_close nl_error \
	nl_pool_list nl_volume_list nl_cache_get nl_cache_set nl_volume_cache \
	dm_exists kmod_load_all)

$(B)/tests/bin/cairnctl-fake: $(CAIRNCTL_OBJS) $(B)/rel/tests/unit/fake_cache.o \
		$(B)/libcairn.a $(B)/libcairncore.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $(FAKE_WRAPS) -o $@ $(filter %.o %.a,$^) $(NL_LIBS) -lpthread

# cairnd's quorum protocol, in a simulation.
$(B)/tests/test_quorum: $(B)/san/tests/unit/test_quorum.o $(B)/san/userland/lib/quorum.o \
		$(B)/san/userland/lib/hb.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(NL_LIBS)

# FC names and the configuration's "fc" section: libcairn too.
$(B)/tests/test_fc: $(B)/san/tests/unit/test_fc.o $(B)/libcairn.a $(B)/libcairncore.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(NL_LIBS) -lpthread

# Targets served by two nodes (ALUA): libcairn too.
$(B)/tests/test_alua: $(B)/san/tests/unit/test_alua.o $(B)/libcairn.a $(B)/libcairncore.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(NL_LIBS) -lpthread

-include $(shell find $(B) -name '*.d' 2>/dev/null)

check: all
	tests/run all

check-unit: user
	tests/run unit

check-vm: all
	tests/run vm $(T)

# The seeded fault campaign (tests/vm/torture/001) with SEEDS seeds drawn
# at random (make check runs it with two fixed ones); each seed's schedule
# and results are printed, and a seed replays with CAIRN_TORTURE_SEEDS=.
SEEDS ?= 3
torture: all
	CAIRN_TORTURE_SEEDS="$$(shuf -i 1-2000000000 -n $(SEEDS) | tr '\n' ' ')" \
		tests/run vm torture/001

lint: modules
	tools/lint

# Benchmarks: callgrind instruction counts of the core's operations.
$(B)/bench/bench_core: $(B)/rel/tools/bench/bench_core.o $(B)/rel/tests/unit/simdev.o \
		       $(B)/libcairncore.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ -lpthread

bench-core: $(B)/bench/bench_core
	tools/bench/core

# fio in one VM: Cairn volumes next to dm-linear and dm-thin; then iSCSI
# from this host: a Cairn LU next to LIO's ramdisk and iblock on a raw disk;
# then two VMs: the mirror next to DRBD 8.4 protocol C; failover; the RAM
# cache next to dm-writecache; then two VMs: one LU through FC and iSCSI.
bench: all bench-core
	tools/bench/volumes
	tools/bench/iscsi
	tools/bench/mirror
	tools/bench/failover
	tools/bench/cache
	tools/bench/fc

bench-mirror: all
	tools/bench/mirror

bench-failover: all
	tools/bench/failover

bench-cache: all
	tools/bench/cache

bench-fc: all
	tools/bench/fc

demo: all
	tools/demo

install: install-module install-progs

install-module: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install

# The programs, their manual pages, the systemd unit (ExecStart names
# $(PREFIX)/sbin/cairnd), bash completion and the configuration directory
# (mode 0700: the configuration holds CHAP secrets).
install-progs: progs
	install -D -m 0755 $(B)/bin/cairnctl $(DESTDIR)$(PREFIX)/sbin/cairnctl
	install -D -m 0755 $(B)/bin/cairn-check $(DESTDIR)$(PREFIX)/sbin/cairn-check
	install -D -m 0755 $(B)/bin/cairnd $(DESTDIR)$(PREFIX)/sbin/cairnd
	install -d -m 0755 $(DESTDIR)$(UNITDIR)
	sed 's|@SBINDIR@|$(PREFIX)/sbin|g' userland/cairnd/cairnd.service \
		>$(DESTDIR)$(UNITDIR)/cairnd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/cairnd.service
	install -D -m 0644 userland/cairnd/cairnd.8 $(DESTDIR)$(PREFIX)/share/man/man8/cairnd.8
	install -D -m 0644 userland/cairn-check/cairn-check.8 \
		$(DESTDIR)$(PREFIX)/share/man/man8/cairn-check.8
	install -D -m 0644 $(B)/man/cairnctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/cairnctl.8
	install -D -m 0644 userland/cairnctl/cairnctl.bash-completion \
		$(DESTDIR)$(BASHCOMPDIR)/cairnctl
	install -d -m 0700 $(DESTDIR)/etc/cairn

# The module's source as DKMS builds it: /usr/src/cairn-$(VERSION)/ holds
# Kbuild, VERSION and kmod/ (without the userspace shims); dkms.conf is
# debian/cairn-dkms.dkms.
DKMS_SRCS := Kbuild VERSION kmod/Kbuild $(wildcard kmod/*.[ch]) \
	$(filter-out kmod/core/user/%,$(wildcard kmod/core/*.[ch])) $(wildcard kmod/uapi/*.h)

install-dkms-src:
	for f in $(DKMS_SRCS); do \
		install -D -m 0644 $$f $(DESTDIR)/usr/src/cairn-$(VERSION)/$$f || exit 1; \
	done

deb:
	tools/deb

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(B)
