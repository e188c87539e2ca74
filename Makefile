# libcoord — build, test, install.  `make demo` and `make check` are the two
# commands a newcomer needs; see README.md.
#
# The file reads top to bottom: configuration, file lists, the parts of
# `make check` (CHECK_PARTS), the library, the programs and tests, each
# check, the other test runs (valgrind, sanitizers, threads, coverage, fuzz,
# bench), install.  Every variable is defined before it is used.

# ---- Configuration: override any of these on the command line ------------
VERSION_MAJOR := $(shell sed -n 's/^\#define COORD_VERSION_MAJOR \([0-9]*\)/\1/p' include/coord/coord.h)
VERSION       := $(shell sed -n 's/^\#define COORD_VERSION_STRING "\(.*\)"/\1/p' include/coord/coord.h)

CC         ?= cc
CXX        ?= c++
PKG_CONFIG ?= pkg-config
PYTHON     ?= python3
PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
CPPFLAGS   ?=
LDFLAGS    ?=
# make WERROR=1: warnings are errors (.ci/run sets it).  Off by default, so
# that a newer compiler's new warning never breaks a user's build.
WERROR     ?= 0
# make SHARED=0: the static library only (built, installed, and what
# pkg-config and the CMake package hand out).
SHARED     ?= 1
# A command put before each C test program (check-valgrind sets valgrind).
RUN        ?=
# make check again on another build (check-minimal, check-valgrind,
# check-asan and coverage set RERUN=1): the parts that are the same on every
# build -- the simulator's self-test, the Makefile's dry runs, the API
# reference -- say they are skipped (make check runs them).
RERUN      ?= 0
# The TLS setups of nginx that test_connections runs against: h2 (HTTP/2)
# and http1.1. check-valgrind runs VALGRIND_NGINX_TLS (http1.1 runs natively
# and under ASan); a setup left out is said to be skipped.
NGINX_TLS          ?= h2 http1.1
VALGRIND_NGINX_TLS ?= h2
# make OUTBOX_CRASH_RUNS=0: check-outbox skips its crash runs (kill points,
# power cuts), saying so. coverage sets it: those runs cover no line of src/
# that the outbox's tests do not, and make check runs them.
OUTBOX_CRASH_RUNS  ?= 1

# make MINIMAL=1: the firmware build (docs/PERFORMANCE.md "Sizes"), in its own
# directory, with -Os, and COORD_MINIMAL compiling out logging text and debug
# hooks (code guarded by #ifndef COORD_MINIMAL).  This is its only place.
MINIMAL ?= 0
ifeq ($(MINIMAL),1)
BUILD          ?= build/minimal
CFLAGS         ?= -Os -fno-asynchronous-unwind-tables
MINIMAL_CFLAGS := -DCOORD_MINIMAL
else
MINIMAL_CFLAGS :=
endif
BUILD  ?= build
# No asynchronous unwind tables: docs/PERFORMANCE.md "Build options" says why.
CFLAGS ?= -O2 -g -fno-asynchronous-unwind-tables

# Cross-compiling (docs/BUILDING.md "Cross-compiling for a kiosk"): CC and PKG_CONFIG
# for the target, e.g. make CC=arm-linux-gnueabihf-gcc
# PKG_CONFIG=arm-linux-gnueabihf-pkg-config BUILD=build/armhf.  STRIP and
# SIZE default to the binutils of the compiler's target when installed.
TARGET_TRIPLET := $(shell $(CC) -dumpmachine 2>/dev/null)
target_tool     = $(if $(shell command -v $(TARGET_TRIPLET)-$(1) 2>/dev/null),$(TARGET_TRIPLET)-$(1),$(1))
STRIP ?= $(call target_tool,strip)
SIZE  ?= $(call target_tool,size)

# 64-bit time_t on 32-bit glibc (armhf), which glibc gives only with both
# _TIME_BITS=64 and _FILE_OFFSET_BITS=64.  libcurl's curl_getdate() returns
# a time_t, so the library and libcurl must agree on its width: the flags
# are used only when the target's libcurl was built with them too (it then
# calls glibc's __clock_gettime64).  Debian 12's armhf libcurl was not: there
# time_t stays 32 bits, and only HTTP-dates after 2038 are out of reach (the
# library's own calendar does not use time_t: src/time.c).
TIME64_CFLAGS := -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64
hash          := \#
time_t_bytes   = $(shell printf '$(hash)include <time.h>\nint t[sizeof(time_t) == $(1) ? 1 : -1];\n' \
                   | $(CC) $(2) -x c -c -o /dev/null - >/dev/null 2>&1 && echo $(1))
curl_time64    = $(shell readelf --dyn-syms -W $(shell $(CC) -print-file-name=libcurl.so) 2>/dev/null \
                   | grep -q __clock_gettime64 && echo yes)
TIME_CFLAGS   := $(if $(and $(call time_t_bytes,4),$(call time_t_bytes,8,$(TIME64_CFLAGS)),$(curl_time64)),$(TIME64_CFLAGS))

# Size options (docs/PERFORMANCE.md "Build options" has each one's measured
# effect).  They are probed: clang has no -falign-jumps/-loops, and an older
# ld only warns about an unknown -z option; such a toolchain still builds
# the library, only larger.
comma     := ,
cc_option  = $(shell $(CC) -Werror $(1) -c -o /dev/null -x c /dev/null >/dev/null 2>&1 && echo $(1))
ld_option  = $(shell $(CC) -shared -Wl,--fatal-warnings -Wl,$(1) -o /dev/null -x c /dev/null >/dev/null 2>&1 \
               && echo -Wl,$(1))
SIZE_CFLAGS  := -fno-plt $(foreach f,-falign-functions=1 -falign-jumps=1 -falign-loops=1,$(call cc_option,$(f)))
SIZE_LDFLAGS := $(call ld_option,-z$(comma)noseparate-code) \
                $(call ld_option,-z$(comma)pack-relative-relocs)
# Each function and object in a section of its own, so that a static program
# linked with --gc-sections takes only what it calls: the blocking form of
# an endpoint without the non-blocking one beside it, hence none of the loop
# (docs/BUILDING.md "Static programs").  The tree's programs link so.
SECTION_CFLAGS := $(foreach f,-ffunction-sections -fdata-sections,$(call cc_option,$(f)))
GC_LDFLAGS     := $(call ld_option,--gc-sections)

# The library's build date, which a failed certificate check compares the
# system clock with (src/clock.c): SOURCE_DATE_EPOCH, else the last
# commit's date, so that the same source builds the same library; outside a
# git tree, the fallback in src/clock.c.
EPOCH_SOURCE := $(or $(SOURCE_DATE_EPOCH),$(shell git log -1 --format=%ct 2>/dev/null))
BUILD_EPOCH  := $(shell printf '%s\n' '$(EPOCH_SOURCE)' | grep -x '[0-9][0-9]*')
EPOCH_CFLAGS := $(if $(BUILD_EPOCH),-DCOORD_BUILD_EPOCH=$(BUILD_EPOCH))

WERROR_FLAG  := $(if $(filter 1,$(WERROR)),-Werror)
WARNINGS     := -std=c99 -Wall -Wextra -pedantic $(WERROR_FLAG)
CXX_WARNINGS := -Wall -Wextra -pedantic $(WERROR_FLAG)

DEPS_CFLAGS = $(shell $(PKG_CONFIG) --cflags libcurl libcjson 2>/dev/null)
DEPS_LIBS   = $(shell $(PKG_CONFIG) --libs libcurl libcjson 2>/dev/null)
TEST_CFLAGS = $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
TEST_LIBS   = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

# The library's own objects; USE_ for everything that uses the library.
# The tree's include/ comes before any -I of CPPFLAGS (an installed coord.h).
LIB_CFLAGS = $(WARNINGS) -Iinclude $(CPPFLAGS) -fPIC -fvisibility=hidden $(SIZE_CFLAGS) $(SECTION_CFLAGS) \
             $(MINIMAL_CFLAGS) $(TIME_CFLAGS) $(DEPS_CFLAGS) $(CFLAGS)
USE_CFLAGS = $(WARNINGS) -Iinclude $(CPPFLAGS) $(MINIMAL_CFLAGS) $(TIME_CFLAGS) $(DEPS_CFLAGS) $(CFLAGS)

# ---- Files ----------------------------------------------------------------
# libcoord's public API: coord.h, the one include, and the parts it includes
# (outbox.h is libcoord-outbox's).
PUBLIC_HEADERS := include/coord/coord.h include/coord/async.h
SRCS       := $(wildcard src/*.c)
OBJS       := $(SRCS:src/%.c=$(BUILD)/obj/%.o)
STATIC     := $(BUILD)/lib/libcoord.a
SONAME     := libcoord.so.$(VERSION_MAJOR)
SHARED_LIB := $(BUILD)/lib/libcoord.so.$(VERSION)
# Symbol versions of the shared library (COORD_1.0, ...): see the file.
VERSION_SCRIPT := src/libcoord.map
LIBS       := $(STATIC) $(if $(filter 1,$(SHARED)),$(BUILD)/lib/libcoord.so)

UNIT_TESTS    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
# Integration tests that need the HTTPS simulator and a test PKI (with_tls_sim.sh).
TLS_TESTS     := $(BUILD)/tests/test_tls
# Integration tests whose name lookups go to a DNS server that never answers.
DNS_TESTS     := $(BUILD)/tests/test_dns
# Integration tests run with the system clock faked to 1970 (libfaketime;
# under ASan its preload comes before ASan's runtime, which
# verify_asan_link_order=0 allows).
FAKETIME_TESTS := $(BUILD)/tests/test_clock_1970
# Integration tests against a private nginx over TLS, with and without HTTP/2.
NGINX_TESTS   := $(BUILD)/tests/test_connections
INTEG_TESTS   := $(filter-out $(TLS_TESTS) $(DNS_TESTS) $(FAKETIME_TESTS) $(NGINX_TESTS), \
                   $(patsubst tests/integration/%.c,$(BUILD)/tests/%,$(wildcard tests/integration/test_*.c)))
# Shared by unit and integration tests: the counting, failing allocator.
TEST_SUPPORT  := tests/support/counting_alloc.c
INTEG_HELPERS := tests/integration/sim_client.c $(TEST_SUPPORT)
THREAD_TEST   := $(BUILD)/tests/test_threads
CPP_TEST      := $(BUILD)/tests/test_cpp
EXAMPLES      := $(BUILD)/examples/end_session $(BUILD)/examples/end_many $(BUILD)/examples/coord \
                 $(BUILD)/examples/outbox_kiosk
# The event-loop adapters of the non-blocking API: one page of glue each.
ADAPTERS      := $(BUILD)/examples/adapters/poll $(BUILD)/examples/adapters/libuv \
                 $(BUILD)/examples/adapters/libevent
BENCH_PROGS   := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(wildcard tests/bench/*.c))

# The outbox (docs/OUTBOX.md): its own library, libcoord-outbox, on
# libcoord's public API and SQLite; libcoord never links SQLite.
SQLITE_CFLAGS  = $(shell $(PKG_CONFIG) --cflags sqlite3 2>/dev/null)
SQLITE_LIBS    = $(shell $(PKG_CONFIG) --libs sqlite3 2>/dev/null)
# The outbox's wall clock (requested_at) is 64-bit wherever glibc offers it,
# whatever libcurl was built with: no time_t crosses its API or libcoord's.
OUTBOX_TIME_CFLAGS := $(if $(and $(call time_t_bytes,4),$(call time_t_bytes,8,$(TIME64_CFLAGS))),$(TIME64_CFLAGS))
OUTBOX_OBJS    := $(patsubst outbox/%.c,$(BUILD)/outbox/%.o,$(wildcard outbox/*.c))
OUTBOX_STATIC  := $(BUILD)/lib/libcoord-outbox.a
OUTBOX_SONAME  := libcoord-outbox.so.$(VERSION_MAJOR)
OUTBOX_SHARED  := $(BUILD)/lib/libcoord-outbox.so.$(VERSION)
OUTBOX_MAP     := outbox/libcoord-outbox.map
OUTBOX_LIBS    := $(OUTBOX_STATIC) $(if $(filter 1,$(SHARED)),$(BUILD)/lib/libcoord-outbox.so)
# What a program of the outbox links, in order.
OUTBOX_LINK    = $(OUTBOX_STATIC) $(STATIC) $(DEPS_LIBS) $(SQLITE_LIBS)
OUTBOX_TESTS   := $(patsubst tests/outbox/test_%.c,$(BUILD)/tests/outbox/test_%,$(wildcard tests/outbox/test_*.c))
OUTBOX_HELPERS := tests/integration/sim_client.c tests/outbox/outbox_test.c
OUTBOX_TOOLS   := $(BUILD)/tests/outbox/ob_cycle

# Servers the tests start on loopback, on ports the OS chooses.
WITH_SIM     := tests/sim/with_sim.sh
WITH_TLS_SIM := tests/sim/with_tls_sim.sh
WITH_DNS_BLACKHOLE := tests/integration/with_dns_blackhole.sh
WITH_NGINX   := tests/threads/with_nginx.sh

# ---- make check: one list of its parts -----------------------------------
# Each part is a target below; under -j they run in parallel (every server a
# test needs is its own, on an OS-chosen port).  To add a check, write its
# target and add its name here.
CHECK_PARTS := check-build check-sim check-unit check-integration check-cli \
               check-cpp check-python check-node check-install check-makefile check-readme \
               check-adapters check-docs check-outbox

.PHONY: all lib examples adapters tests deps demo docs install uninstall clean size bench bench-observer bench-instructions \
        check $(CHECK_PARTS) check-abi abi-baseline check-minimal check-valgrind check-asan \
        check-threads check-tsan coverage fuzz fuzz-build outbox check-outbox-long bench-outbox bench-tls

all: lib outbox examples

# One line per part and a summary; a part's whole output is in
# $(BUILD)/check/<part>.log, and shown (its end) only when it fails.
# Everything the parts build is built first (CHECK_PREPARE), then the parts
# run side by side, as many as -j allows. make check-<part> shows it all.
CHECK_PREPARE := deps tests examples $(ADAPTERS) $(CPP_TEST)
# make check BUILD_JOBS=N: that build compiles N files at a time, while the
# parts still run one at a time (or as -j says). .ci/run sets the CPU count.
BUILD_JOBS ?=

check:
	@$(PYTHON) tests/check_parts.py $(if $(BUILD_JOBS),--build-jobs=$(BUILD_JOBS)) $(BUILD)/check \
	  '$(MAKE)' $(CHECK_PREPARE) -- $(CHECK_PARTS)

# ---- Build dependencies (.ci/install-deps) --------------------------------
# Building or installing the library (make, make lib, make install) only
# checks what the library needs and prints the apt-get command for what is
# missing: it never installs.  The goals that test or demo, and make deps,
# check everything and, run as root, install what is missing.  Objects wait
# for the check, so nothing compiles before the packages are there.
DEPS_INSTALL_GOALS := deps tests demo check check-% coverage fuzz fuzz-build bench
deps:
	@CC='$(CC)' PKG_CONFIG='$(PKG_CONFIG)' .ci/install-deps $(if $(filter $(DEPS_INSTALL_GOALS),$(MAKECMDGOALS)),,--check --lib)

# ---- The library ----------------------------------------------------------
lib: $(LIBS)

# The compile flags, rewritten only when they change: objects built with
# other flags (a new Makefile, make CFLAGS=...) are rebuilt, not reused.
FLAGS_STAMP := $(BUILD)/obj/.flags
$(FLAGS_STAMP): FORCE
	@mkdir -p $(@D)
	@echo '$(CC) $(LIB_CFLAGS)' | cmp -s - $@ || echo '$(CC) $(LIB_CFLAGS)' > $@
FORCE:

$(BUILD)/obj/%.o: src/%.c src/internal.h $(PUBLIC_HEADERS) $(FLAGS_STAMP) | deps
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -c $< -o $@

# The build date (BUILD_EPOCH) reaches src/clock.c alone, with a stamp of its
# own: a new commit rebuilds that one object, not the library.
EPOCH_STAMP := $(BUILD)/obj/.epoch
$(EPOCH_STAMP): FORCE
	@mkdir -p $(@D)
	@echo '$(EPOCH_CFLAGS)' | cmp -s - $@ || echo '$(EPOCH_CFLAGS)' > $@
$(BUILD)/obj/clock.o: LIB_CFLAGS += $(EPOCH_CFLAGS)
$(BUILD)/obj/clock.o: $(EPOCH_STAMP)

$(STATIC): $(OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

# Without libcurl's and cJSON's -l flags the linker would make a libcoord.so
# with undefined curl_ and cJSON_ symbols, and say nothing.
$(SHARED_LIB): $(OBJS) $(VERSION_SCRIPT)
	@mkdir -p $(@D)
	$(if $(strip $(DEPS_LIBS)),,$(error '$(PKG_CONFIG) --libs libcurl libcjson' gives nothing: \
	  libcoord.so would not be linked with them (cross-compiling? PKG_CONFIG=$(TARGET_TRIPLET)-pkg-config)))
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=$(VERSION_SCRIPT) $(CFLAGS) \
	  $(SIZE_LDFLAGS) $(GC_LDFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(DEPS_LIBS)

$(BUILD)/lib/$(SONAME): $(SHARED_LIB)
	ln -sf $(notdir $<) $@

$(BUILD)/lib/libcoord.so: $(BUILD)/lib/$(SONAME)
	ln -sf $(SONAME) $@

# The outbox library: objects with SQLite's flags; the shared library
# needs libcoord.so (and SQLite) and exports only coord_outbox_*.
outbox: $(OUTBOX_LIBS)

$(BUILD)/outbox/%.o: outbox/%.c outbox/internal.h include/coord/outbox.h $(PUBLIC_HEADERS) \
                     $(FLAGS_STAMP) | deps
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) $(OUTBOX_TIME_CFLAGS) $(SQLITE_CFLAGS) -c $< -o $@

$(OUTBOX_STATIC): $(OUTBOX_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(OUTBOX_SHARED): $(OUTBOX_OBJS) $(OUTBOX_MAP) $(BUILD)/lib/libcoord.so
	$(CC) -shared -Wl,-soname,$(OUTBOX_SONAME) -Wl,--version-script=$(OUTBOX_MAP) $(CFLAGS) \
	  $(LDFLAGS) -o $@ $(OUTBOX_OBJS) -L$(BUILD)/lib -lcoord $(SQLITE_LIBS)

$(BUILD)/lib/$(OUTBOX_SONAME): $(OUTBOX_SHARED)
	ln -sf $(notdir $<) $@

$(BUILD)/lib/libcoord-outbox.so: $(BUILD)/lib/$(OUTBOX_SONAME)
	ln -sf $(OUTBOX_SONAME) $@

# Stripped sizes of the libraries just built, and of the end-session example
# with libcoord linked in statically (docs/PERFORMANCE.md "Sizes").
size: $(STATIC) $(SHARED_LIB) $(BUILD)/examples/end_session
	@mkdir -p $(BUILD)/size
	@cp $(STATIC) $(BUILD)/size/libcoord.a && $(STRIP) --strip-unneeded $(BUILD)/size/libcoord.a
	@cp $(SHARED_LIB) $(BUILD)/size/libcoord.so && $(STRIP) --strip-all $(BUILD)/size/libcoord.so
	@cp $(BUILD)/examples/end_session $(BUILD)/size/end_session && $(STRIP) --strip-all $(BUILD)/size/end_session
	@echo "$(if $(filter 1,$(MINIMAL)),MINIMAL=1,default) build for $(TARGET_TRIPLET), CFLAGS=$(CFLAGS), stripped:"
	@echo "  libcoord.a   $$(wc -c < $(BUILD)/size/libcoord.a) bytes"
	@echo "  libcoord.so  $$(wc -c < $(BUILD)/size/libcoord.so) bytes"
	@$(SIZE) $(BUILD)/size/libcoord.so | tail -1 | awk '{print "  libcoord.so  text " $$1 ", data " $$2 ", bss " $$3}'
	@echo "  end_session  $$(wc -c < $(BUILD)/size/end_session) bytes (libcoord.a linked in)"

# ---- Programs and test programs -------------------------------------------
# Programs link the static library so they run from the tree without LD_LIBRARY_PATH.
$(BUILD)/examples/%: examples/%.c $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(USE_CFLAGS) $(GC_LDFLAGS) $(LDFLAGS) -o $@ $< $(STATIC) $(DEPS_LIBS)

# The CLI (its outbox commands) and the outbox kiosk link libcoord-outbox
# and SQLite; no other program does (end_session stays free of SQLite).
$(BUILD)/examples/coord $(BUILD)/examples/outbox_kiosk: $(BUILD)/examples/%: examples/%.c \
                                                       $(OUTBOX_STATIC) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(USE_CFLAGS) $(SQLITE_CFLAGS) $(GC_LDFLAGS) $(LDFLAGS) -o $@ $< $(OUTBOX_LINK)

examples: lib $(EXAMPLES)

# The adapters need their event library (libuv1-dev, libevent-dev: make deps).
ADAPTER_LIBS_poll     :=
ADAPTER_LIBS_libuv     = $(shell $(PKG_CONFIG) --libs libuv 2>/dev/null)
ADAPTER_LIBS_libevent  = $(shell $(PKG_CONFIG) --libs libevent 2>/dev/null)
$(BUILD)/examples/adapters/%: examples/adapters/%.c examples/adapters/demo.c \
                              examples/adapters/demo.h $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(USE_CFLAGS) $(LDFLAGS) -o $@ $< examples/adapters/demo.c $(STATIC) $(DEPS_LIBS) \
	  $(ADAPTER_LIBS_$*)

adapters: lib $(ADAPTERS)

# Unit tests see the internal header and link the objects directly.
$(BUILD)/tests/test_%: tests/unit/test_%.c $(TEST_SUPPORT) $(TEST_SUPPORT:.c=.h) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(USE_CFLAGS) -Isrc $(TEST_CFLAGS) $(LDFLAGS) -o $@ $< $(TEST_SUPPORT) $(STATIC) $(DEPS_LIBS) \
	  $(TEST_LIBS)

$(BUILD)/tests/test_%: tests/integration/test_%.c $(INTEG_HELPERS) $(INTEG_HELPERS:.c=.h) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(USE_CFLAGS) $(TEST_CFLAGS) $(LDFLAGS) -o $@ $< $(INTEG_HELPERS) $(STATIC) $(DEPS_LIBS) $(TEST_LIBS)

$(THREAD_TEST): tests/threads/test_threads.c $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(USE_CFLAGS) $(TEST_CFLAGS) -pthread $(LDFLAGS) -o $@ $< $(STATIC) $(DEPS_LIBS) \
	  $(TEST_LIBS) -pthread

# The outbox's tests: cmocka against the simulator, and the tools the
# kill-point and power-cut runs drive (tests/outbox/).
$(BUILD)/tests/outbox/%: tests/outbox/%.c $(OUTBOX_HELPERS) tests/outbox/outbox_test.h \
                         tests/outbox/powercut_vfs.c tests/outbox/powercut_vfs.h \
                         $(OUTBOX_STATIC) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(USE_CFLAGS) $(SQLITE_CFLAGS) -Itests/integration $(TEST_CFLAGS) $(LDFLAGS) -o $@ $< \
	  $(OUTBOX_HELPERS) tests/outbox/powercut_vfs.c $(OUTBOX_LINK) $(TEST_LIBS)

# The public header from C++: built with $(CXX) (and with clang++ by .ci/run).
$(CPP_TEST): tests/cpp/test_cpp.cpp tests/integration/sim_client.c \
             tests/integration/sim_client.h $(PUBLIC_HEADERS) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(USE_CFLAGS) $(TEST_CFLAGS) -c tests/integration/sim_client.c -o $(BUILD)/tests/sim_client_for_cpp.o
	$(CXX) -std=c++11 $(CXX_WARNINGS) -Iinclude $(CPPFLAGS) $(MINIMAL_CFLAGS) $(TEST_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< \
	  $(BUILD)/tests/sim_client_for_cpp.o $(STATIC) $(DEPS_LIBS) $(TEST_LIBS)

tests: lib $(UNIT_TESTS) $(INTEG_TESTS) $(TLS_TESTS) $(DNS_TESTS) $(FAKETIME_TESTS) $(NGINX_TESTS) \
       $(THREAD_TEST) $(OUTBOX_TESTS) $(OUTBOX_TOOLS)

demo: examples
	@PYTHON=$(PYTHON) COORD_SIM_ARGS="--seed examples/demo-seed.json" \
	  $(WITH_SIM) examples/demo.sh $(BUILD)/examples/coord
	@PYTHON=$(PYTHON) COORD_SIM_ARGS="--seed examples/demo-seed.json" \
	  $(WITH_SIM) examples/outbox_demo.sh $(BUILD)/examples/outbox_kiosk $(BUILD)/examples/coord

# ---- The parts of make check ----------------------------------------------
# Why check-python and check-install do not run on this build (empty: they
# run): they need a plain build that the build machine's python3, compiler
# and linker can use.
NATIVE_SKIP = $(strip $(if $(findstring sanitize,$(CFLAGS)),a sanitizer build) \
                      $(if $(RUN),RUN=$(firstword $(RUN)) runs only the C test programs))
# Why a part that is the same on every build does not run (RERUN=1).
RERUN_SKIP = $(if $(filter 1,$(RERUN)),RERUN=1: the same on every build (make check runs it))

# Everything compiles (the library, the examples, every test program), also
# the thread test that check-threads runs; warnings are errors with WERROR=1.
check-build: tests examples

check-sim: deps
ifeq ($(RERUN_SKIP),)
	@echo "== simulator self-test"
	@$(PYTHON) tests/sim/test_sim.py -q
else
	@echo "== simulator self-test: skipped: $(RERUN_SKIP)"
endif

check-unit: lib $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; $(RUN) $$t; done

check-integration: lib $(INTEG_TESTS) $(TLS_TESTS) $(DNS_TESTS) $(FAKETIME_TESTS) $(NGINX_TESTS)
	@set -e; for t in $(INTEG_TESTS); do echo "== $$t (simulator)"; \
	  PYTHON=$(PYTHON) $(WITH_SIM) $(RUN) $$t; done
	@set -e; for t in $(TLS_TESTS); do echo "== $$t (HTTPS simulator)"; \
	  PYTHON=$(PYTHON) $(WITH_TLS_SIM) $(RUN) $$t; done
	@set -e; for t in $(DNS_TESTS); do echo "== $$t (simulator, a DNS server that never answers)"; \
	  PYTHON=$(PYTHON) $(if $(RUN),COORD_TEST_SLOW=1) $(WITH_SIM) $(WITH_DNS_BLACKHOLE) $(RUN) $$t; done
	@set -e; for t in $(FAKETIME_TESTS); do echo "== $$t (HTTPS simulator, the clock at 1970)"; \
	  PYTHON=$(PYTHON) $(WITH_TLS_SIM) env FAKETIME_DONT_FAKE_MONOTONIC=1 \
	    ASAN_OPTIONS="$${ASAN_OPTIONS:+$$ASAN_OPTIONS:}verify_asan_link_order=0" \
	    faketime '1970-01-01 00:00:00' $(RUN) $$t; done
	@set -e; for t in $(NGINX_TESTS); do for tls in h2 http1.1; do \
	  case " $(NGINX_TLS) " in \
	  *" $$tls "*) echo "== $$t (nginx, HTTPS, $$tls)"; COORD_NGINX_TLS=$$tls $(WITH_NGINX) $(RUN) $$t;; \
	  *) echo "== $$t (nginx, HTTPS, $$tls): skipped: NGINX_TLS='$(NGINX_TLS)' (make check runs it)";; \
	  esac; done; done

# The coord CLI: JSON and exit codes against the simulator.
check-cli: examples
	@echo "== tests/cli/test_cli.py (the coord CLI, simulator)"
	@PYTHON=$(PYTHON) COORD_CLI=$(BUILD)/examples/coord COORD_CLI_WRAPPER="$(RUN)" MINIMAL=$(MINIMAL) \
	  COORD_CLI_SANITIZED=$(if $(findstring sanitize,$(CFLAGS)),1) \
	  $(WITH_SIM) $(PYTHON) tests/cli/test_cli.py

# The adapter examples end sessions against the simulator through their
# event library (poll, libuv, libevent).
check-adapters: $(ADAPTERS)
	@echo "== tests/adapters/test_adapters.py (poll, libuv, libevent examples, simulator)"
	@PYTHON=$(PYTHON) $(WITH_SIM) $(PYTHON) tests/adapters/test_adapters.py $(RUN) -- $(ADAPTERS)

check-cpp: lib $(CPP_TEST)
	@echo "== $(CPP_TEST) (C++, simulator)"
	@PYTHON=$(PYTHON) $(WITH_SIM) $(RUN) $(CPP_TEST)

# The ctypes binding (bindings/python/coord.py) against the simulator, with a
# layout check of its struct mirrors against the C compiler; then as a user
# installs it (make install, pip install offline into a venv, loader path).
# Skipped in sanitizer and valgrind runs (python3 cannot load an ASan-built
# libcoord.so) and with SHARED=0 (no libcoord.so).
check-python: lib $(BUILD)/examples/coord
ifeq ($(NATIVE_SKIP)$(filter 0,$(SHARED)),)
	@echo "== tests/python/test_coord_py.py (ctypes binding, simulator)"
	@COORD_LIBRARY=$(BUILD)/lib/libcoord.so COORD_CC=$(CC) PYTHON=$(PYTHON) \
	  $(WITH_SIM) $(PYTHON) tests/python/test_coord_py.py
	@echo "== tests/python/check_pip_install.sh (pip install ./bindings/python, offline)"
	@PYTHON=$(PYTHON) tests/python/check_pip_install.sh BUILD=$(BUILD) \
	  $(if $(filter 1,$(MINIMAL)),MINIMAL=1)
else
	@echo "== ctypes binding: skipped: $(or $(NATIVE_SKIP),SHARED=0 builds no libcoord.so) (make check runs it)"
endif

# The Node binding (bindings/node, on koffi from npm) against the simulator:
# `npm test` there, with this build's libcoord.so. koffi is installed with
# `npm ci` (from package-lock.json) when bindings/node/node_modules lacks it.
# Skipped where check-python is (node cannot load an ASan-built libcoord.so)
# and where node is not installed (make deps installs it).
check-node: lib
ifeq ($(NATIVE_SKIP)$(filter 0,$(SHARED)),)
	@set -e; if ! command -v node >/dev/null || ! command -v npm >/dev/null; then \
	  echo "== Node binding: skipped: node and npm are not installed (make deps)"; \
	else \
	  echo "== tests/node/test_coord.mjs (Node binding on koffi, simulator)"; \
	  [ -e bindings/node/node_modules/koffi/package.json ] || npm ci --prefix bindings/node --no-audit --no-fund; \
	  COORD_LIBRARY=$(abspath $(BUILD))/lib/libcoord.so COORD_CC=$(CC) PYTHON=$(PYTHON) \
	    npm test --prefix bindings/node --silent; \
	  if command -v tsc >/dev/null; then echo "== tsc --strict tests/node/types_check.ts (index.d.ts)"; \
	    tsc --noEmit --strict --target es2022 --module commonjs --lib es2022,dom,esnext.disposable \
	      tests/node/types_check.ts; \
	  else echo "== index.d.ts: tsc skipped (not installed; npm install -g typescript)"; fi; \
	fi
else
	@echo "== Node binding: skipped: $(or $(NATIVE_SKIP),SHARED=0 builds no libcoord.so) (make check runs it)"
endif

# The outbox (docs/OUTBOX.md) against the simulator: its cmocka tests, then
# one cycle (tests/outbox/ob_cycle.c) killed by SIGKILL at each of its
# system calls in turn (strace) and cut at each of its writes and syncs
# (the power-cut VFS), each death followed by a restart and a check
# (tests/outbox/crash_test.py). The kill run needs strace on this machine's
# processes: skipped under RUN (valgrind, qemu) and in sanitizer builds
# (LeakSanitizer cannot run under a tracer) and in the firmware build (the
# same code at -Os: its power cuts run; .ci/run's time goes elsewhere).
# OUTBOX_CRASH_RUNS=0 (coverage) skips both runs.
OUTBOX_CRASH = PYTHON=$(PYTHON) $(WITH_SIM) $(PYTHON) tests/outbox/crash_test.py
check-outbox: outbox $(OUTBOX_TESTS) $(OUTBOX_TOOLS)
	@set -e; for t in $(OUTBOX_TESTS); do echo "== $$t (simulator)"; \
	  PYTHON=$(PYTHON) $(WITH_SIM) $(RUN) $$t; done
ifeq ($(OUTBOX_CRASH_RUNS),0)
	@echo "== outbox kill points and power cuts: skipped: OUTBOX_CRASH_RUNS=0 (make check runs them)"
else ifeq ($(RUN),)
ifeq ($(NATIVE_SKIP)$(filter 1,$(MINIMAL)),)
	@echo "== tests/outbox/crash_test.py kill (SIGKILL at every system call of a cycle, restart)"
	@$(OUTBOX_CRASH) kill $(BUILD)/tests/outbox/ob_cycle
else
	@echo "== outbox kill points: skipped: $(or $(NATIVE_SKIP),MINIMAL=1) (make check runs them)"
endif
	@echo "== tests/outbox/crash_test.py powercut (unsynced writes lost at every write and sync)"
	@$(OUTBOX_CRASH) powercut $(BUILD)/tests/outbox/ob_cycle
else
	@echo "== outbox kill points and power cuts: skipped: RUN=$(firstword $(RUN)) (make check runs them)"
endif

# The randomized long run: OUTBOX_RANDOM_POINTS kill points (10,000 by
# default) at random system calls of a stream of cycles, a fifth of whose
# answers the simulator drops after applying the end. .ci/run runs a sample.
OUTBOX_RANDOM_POINTS ?= 10000
OUTBOX_RANDOM_SEED   ?= 1
check-outbox-long: $(OUTBOX_TOOLS)
	@echo "== tests/outbox/crash_test.py random ($(OUTBOX_RANDOM_POINTS) random kill points, lost answers)"
	@$(OUTBOX_CRASH) random $(BUILD)/tests/outbox/ob_cycle --points $(OUTBOX_RANDOM_POINTS) \
	  --seed $(OUTBOX_RANDOM_SEED)

# Install consumers: install into a stage (default and static-only multiarch
# layouts), build an outside program with only pkg-config and with only
# CMake, run them against the simulator, and check uninstall removes it all.
# Run with pkg-config's and CMake's search paths pointing at a decoy package:
# the check must not depend on the caller's environment.
# Skipped in sanitizer and valgrind runs (the consumer is a plain build).
DECOY := $(CURDIR)/tests/install/decoy
check-install: lib $(BUILD)/examples/coord
ifeq ($(NATIVE_SKIP),)
	@echo "== tests/install/check_install.sh (make install/uninstall, pkg-config and CMake consumers)"
	@PKG_CONFIG_PATH=$(DECOY)/lib/pkgconfig CMAKE_PREFIX_PATH=$(DECOY) coord_DIR=$(DECOY)/lib/cmake/coord \
	  CC=$(CC) LDFLAGS="$(LDFLAGS)" PYTHON=$(PYTHON) WERROR=$(WERROR) tests/install/check_install.sh BUILD=$(BUILD) \
	  $(if $(filter 1,$(MINIMAL)),MINIMAL=1)
else
	@echo "== install consumers: skipped: $(NATIVE_SKIP) (make check runs it)"
endif

# What the Makefile promises a user: make/lib/install never run apt-get;
# CPPFLAGS, CFLAGS, LDFLAGS, WERROR, MINIMAL and SHARED reach every command.
check-makefile:
ifeq ($(RERUN_SKIP),)
	@echo "== tests/build/check_makefile.sh (dependencies, flags: dry runs)"
	@tests/build/check_makefile.sh
else
	@echo "== the Makefile's promises: skipped: $(RERUN_SKIP)"
endif

# Every C block of README.md compiles with -Werror (whatever WERROR says: a
# reader copies them into their own build); the first, examples/end_session.c,
# also runs against the simulator. Conventions: tests/readme/check_readme.py.
check-readme: lib
	@echo "== tests/readme/check_readme.py (README.md's C blocks, -Werror)"
	@README_CC="$(CC)" README_CFLAGS="-Iinclude $(CPPFLAGS) $(DEPS_CFLAGS) $(CFLAGS)" \
	  README_LIBS="$(LDFLAGS) $(STATIC) $(DEPS_LIBS)" README_RUN="$(RUN)" PYTHON=$(PYTHON) \
	  $(PYTHON) tests/readme/check_readme.py

# ---- Checks beyond make check (.ci/run runs each) --------------------------
# Exported symbols: printed, and every one must be coord_-prefixed (shared and
# static) and carry its version from VERSION_SCRIPT; header rules (no varargs,
# no struct by value, a free per opaque type).  The checker first proves it
# catches each rule on a fixture that breaks them.  Then abidiff compares the
# library with the stored ABI of the release (check_abidiff.sh; to update it,
# docs/HACKING.md "The ABI").
# The released ABIs, each kept by every later build (docs/HACKING.md "The ABI").
ABI_BASELINES := tests/abi/libcoord-1.0.0.abi tests/abi/libcoord-1.1.0.abi
ABIDW_FLAGS  := --no-corpus-path --no-comp-dir-path --short-locs

check-abi: $(STATIC) $(BUILD)/lib/libcoord.so $(OUTBOX_STATIC) $(BUILD)/lib/libcoord-outbox.so
	@echo "== check-abi"
	@mkdir -p $(BUILD)/abi
	@$(CC) -shared -fPIC -fvisibility=hidden -Wl,--version-script=tests/abi/bad.map \
	  -o $(BUILD)/abi/libbad.so tests/abi/bad.c
	@$(CC) -c -fPIC -fvisibility=hidden -o $(BUILD)/abi/bad.o tests/abi/bad.c
	@rm -f $(BUILD)/abi/libbad.a && $(AR) rcs $(BUILD)/abi/libbad.a $(BUILD)/abi/bad.o
	@n=$$($(PYTHON) tests/abi/check_abi.py $(BUILD)/abi/libbad.so $(BUILD)/abi/libbad.a \
	      tests/abi/bad.map tests/abi/bad.h tests/abi/bad_part.h 2>&1 >/dev/null | grep -c '^ABI CHECK FAILED'); \
	  if [ "$$n" != 12 ]; then echo "check_abi.py found $$n of the fixture's 12 faults" >&2; exit 1; fi
	@$(PYTHON) tests/abi/check_abi.py $(BUILD)/lib/libcoord.so $(STATIC) $(VERSION_SCRIPT) \
	  $(PUBLIC_HEADERS)
	@set -e; for baseline in $(ABI_BASELINES); do \
	  CC=$(CC) tests/abi/check_abidiff.sh $(BUILD)/abi $$baseline $(SHARED_LIB); done
	@echo "== check-abi: libcoord-outbox (its own SONAME and symbol versions)"
	@$(PYTHON) tests/abi/check_abi.py $(BUILD)/lib/libcoord-outbox.so $(OUTBOX_STATIC) \
	  $(OUTBOX_MAP) include/coord/outbox.h

# Writes the ABI of the library just built as the baseline of its version:
# only for a release (docs/HACKING.md "The ABI"), never to quiet check-abi.
abi-baseline: $(SHARED_LIB)
	abidw $(ABIDW_FLAGS) --out-file tests/abi/libcoord-$(VERSION).abi $(SHARED_LIB)

# The whole suite on the firmware build, and its sizes.
check-minimal:
	@$(MAKE) --no-print-directory MINIMAL=1 RERUN=1 check size

# The whole test suite under valgrind memcheck: any leak or error fails.
# RUN prefixes only the C test binaries; the Python simulator runs natively.
VALGRIND = valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect,possible \
           --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99

check-valgrind: tests examples
	@$(MAKE) --no-print-directory check RUN="$(VALGRIND)" RERUN=1 NGINX_TLS="$(VALGRIND_NGINX_TLS)"

# The whole test suite with AddressSanitizer + UndefinedBehaviorSanitizer
# (only the C programs are instrumented; the Python simulator is not).
# Run-time options set explicitly so that no inherited environment can weaken
# them: stop at the first error, with a stack, and check leaks.
ASAN_RUN_OPTIONS  = detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:strict_init_order=1
UBSAN_RUN_OPTIONS = halt_on_error=1:print_stacktrace=1

check-asan:
	@ASAN_OPTIONS=$(ASAN_RUN_OPTIONS) UBSAN_OPTIONS=$(UBSAN_RUN_OPTIONS) \
	  $(MAKE) --no-print-directory check BUILD=$(BUILD)/asan RERUN=1 \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined"

# Threads: 8 threads x 2,000 calls against a private nginx.
check-threads: lib $(THREAD_TEST)
	@echo "== $(THREAD_TEST) (nginx)"
	@$(WITH_NGINX) $(RUN) $(THREAD_TEST)

# The library and the thread test under ThreadSanitizer.
check-tsan:
	@TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  $(MAKE) --no-print-directory check-threads BUILD=$(BUILD)/tsan \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=thread" LDFLAGS="-fsanitize=thread"

# Coverage: the test suite on a gcov build; line and branch figures of src/.
COVERAGE_BUILD := $(BUILD)/coverage
GCOVR = gcovr --root . --filter 'src/' --object-directory $(COVERAGE_BUILD)/obj

coverage:
	@command -v gcovr >/dev/null || { echo "make coverage needs gcovr (apt-get install gcovr)" >&2; exit 1; }
	@if [ -d $(COVERAGE_BUILD) ]; then find $(COVERAGE_BUILD) -name "*.gcda" -delete; fi
	@$(MAKE) --no-print-directory check BUILD=$(COVERAGE_BUILD) RERUN=1 OUTBOX_CRASH_RUNS=0 \
	  CFLAGS="-O0 -g --coverage" LDFLAGS="--coverage"
	@echo "== coverage of src/ (lines)"
	@$(GCOVR) --txt
	@echo "== coverage of src/ (branches)"
	@$(GCOVR) --txt --branches
	@$(GCOVR) --print-summary --html-details $(COVERAGE_BUILD)/index.html >/dev/null
	@$(GCOVR) --print-summary | grep -E "^(lines|branches):"
	@echo "(per-line report: $(COVERAGE_BUILD)/index.html)"

# Fuzzing: libFuzzer harnesses of every decoder (tests/fuzz/).
# `make fuzz FUZZ_SECONDS=N` runs each harness for N seconds with ASan+UBSan
# and prints the executions; a crash fails the target (input in build/fuzz/work).
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_BUILD   := $(BUILD)/fuzz
FUZZ_SAN     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
                -fno-sanitize-recover=all
FUZZ_OBJS    := $(SRCS:src/%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZERS      := $(patsubst tests/fuzz/fuzz_%.c,$(FUZZ_BUILD)/fuzz_%,$(wildcard tests/fuzz/fuzz_*.c))

$(FUZZ_BUILD)/obj/%.o: src/%.c src/internal.h $(PUBLIC_HEADERS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(WARNINGS) -Iinclude $(DEPS_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_check.h $(FUZZ_OBJS)
	$(FUZZ_CC) $(WARNINGS) -Iinclude -Isrc $(DEPS_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer \
	  -o $@ $< $(FUZZ_OBJS) $(DEPS_LIBS)

# kept between runs (make would delete them as intermediates)
.SECONDARY: $(FUZZ_OBJS)
$(FUZZ_OBJS): | deps

fuzz-build: deps $(FUZZERS)

fuzz: fuzz-build
	@FUZZ_WORK=$(FUZZ_BUILD)/work tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZERS)

# Benchmark: `make bench`, results in tests/bench/RESULTS.md.  Measurement
# only, never a gate: BENCH_N, BENCH_ROUNDS, BENCH_CLI_N, BENCH_ALLOC_N and
# BENCH_ASYNC_N tune it (tests/bench/bench.py).
$(BUILD)/bench/%: tests/bench/%.c tests/bench/bench_util.h $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(USE_CFLAGS) $(LDFLAGS) -o $@ $< $(STATIC) $(DEPS_LIBS)

# The outbox's bench program links libcoord-outbox and SQLite.
$(BUILD)/bench/outbox_bench: tests/bench/outbox_bench.c tests/bench/bench_util.h \
                             $(OUTBOX_STATIC) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(USE_CFLAGS) $(SQLITE_CFLAGS) $(LDFLAGS) -o $@ $< $(OUTBOX_LINK)

bench: lib examples $(BENCH_PROGS)
	$(PYTHON) tests/bench/bench.py $(BUILD) $(BUILD)/bench/RESULTS.md

# Only the outbox's part of make bench.
bench-outbox: lib $(BENCH_PROGS)
	BENCH_ONLY=outbox $(PYTHON) tests/bench/bench.py $(BUILD) $(BUILD)/bench/RESULTS-outbox.md

# Only the call record's cost: instructions per end with a no-op observer
# against none (callgrind).
bench-observer: lib $(BENCH_PROGS)
	BENCH_ONLY=observer $(PYTHON) tests/bench/bench.py $(BUILD)

# Only the instructions per call (callgrind) of every loop of make bench:
# deterministic, where time on a shared machine is not.
bench-instructions: lib $(BENCH_PROGS)
	BENCH_ONLY=instructions $(PYTHON) tests/bench/bench.py $(BUILD)

# Only the bursts over TLS (HTTP/2 and HTTP/1.1) of make bench.
bench-tls: lib $(BENCH_PROGS)
	BENCH_ONLY=tls $(PYTHON) tests/bench/bench.py $(BUILD) $(BUILD)/bench/RESULTS-tls.md

# ---- API reference ---------------------------------------------------------
# Doxygen on the public headers (docs/Doxyfile), into $(BUILD)/docs/html; any
# warning fails, so every function, parameter and field stays documented.
docs:
	@command -v doxygen >/dev/null || { echo "make docs needs doxygen; run: sudo apt-get install -y doxygen" >&2; exit 1; }
	@mkdir -p $(BUILD)/docs
	@COORD_DOCS_DIR=$(BUILD)/docs COORD_VERSION=$(VERSION) doxygen docs/Doxyfile
	@echo "make docs: no warnings; $(BUILD)/docs/html/index.html"

# The reference has no warning (a new function documents every parameter and
# its statuses).  Skipped where doxygen is not installed (.ci/run installs it).
check-docs:
ifeq ($(RERUN_SKIP),)
	@if command -v doxygen >/dev/null; then echo "== make docs (API reference, no warning)"; \
	  $(MAKE) --no-print-directory docs; \
	else echo "== make docs: skipped (doxygen is not installed)"; fi
else
	@echo "== make docs: skipped: $(RERUN_SKIP)"
endif

# ---- Install --------------------------------------------------------------
# Anything added here must be removed by uninstall (check-install checks it).
CMAKEDIR = $(LIBDIR)/cmake/coord
# The target's pointer size, recorded in the CMake package's version file.
POINTER_SIZE = $(shell echo __SIZEOF_POINTER__ | $(CC) -E -P -x c - | tail -n 1)
# Fills pkgconfig/coord.pc.in and cmake/*.cmake.in.  A static-only install
# names libcurl and cJSON under Requires: pkg-config --libs must link them.
CONFIGURE_FILE = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
    -e 's|@VERSION_MAJOR@|$(VERSION_MAJOR)|g' -e 's|@SONAME@|$(SONAME)|g' \
    -e 's|@PC_REQUIRES@|$(if $(filter 1,$(SHARED)),Requires.private,Requires)|g' \
    -e 's|@LIBRARY_KIND@|$(if $(filter 1,$(SHARED)),SHARED,STATIC)|g' \
    -e 's|@SIZEOF_VOID_P@|$(POINTER_SIZE)|g'

install: lib outbox $(BUILD)/examples/coord
	install -d $(DESTDIR)$(INCLUDEDIR)/coord $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(CMAKEDIR)
	install -m 644 $(PUBLIC_HEADERS) $(DESTDIR)$(INCLUDEDIR)/coord/
	install -m 644 include/coord/outbox.h $(DESTDIR)$(INCLUDEDIR)/coord/outbox.h
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/libcoord.a
	install -m 644 $(OUTBOX_STATIC) $(DESTDIR)$(LIBDIR)/libcoord-outbox.a
ifeq ($(SHARED),1)
	install -m 755 $(SHARED_LIB) $(DESTDIR)$(LIBDIR)/libcoord.so.$(VERSION)
	ln -sf libcoord.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libcoord.so
	install -m 755 $(OUTBOX_SHARED) $(DESTDIR)$(LIBDIR)/libcoord-outbox.so.$(VERSION)
	ln -sf libcoord-outbox.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(OUTBOX_SONAME)
	ln -sf $(OUTBOX_SONAME) $(DESTDIR)$(LIBDIR)/libcoord-outbox.so
endif
	$(CONFIGURE_FILE) pkgconfig/coord.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/coord.pc
	$(CONFIGURE_FILE) pkgconfig/coord-outbox.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/coord-outbox.pc
	$(CONFIGURE_FILE) cmake/coordConfig.cmake.in > $(DESTDIR)$(CMAKEDIR)/coordConfig.cmake
	$(CONFIGURE_FILE) cmake/coordConfigVersion.cmake.in > $(DESTDIR)$(CMAKEDIR)/coordConfigVersion.cmake
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 $(BUILD)/examples/coord $(DESTDIR)$(BINDIR)/coord
	install -m 755 tests/sim/coord_sim.py $(DESTDIR)$(BINDIR)/coord-sim
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 644 docs/coord.1 $(DESTDIR)$(MANDIR)/man1/coord.1

uninstall:
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/coord/,$(notdir $(PUBLIC_HEADERS))) \
	      $(DESTDIR)$(INCLUDEDIR)/coord/outbox.h \
	      $(DESTDIR)$(LIBDIR)/libcoord.a \
	      $(DESTDIR)$(LIBDIR)/libcoord.so.$(VERSION) \
	      $(DESTDIR)$(LIBDIR)/$(SONAME) \
	      $(DESTDIR)$(LIBDIR)/libcoord.so \
	      $(DESTDIR)$(LIBDIR)/libcoord-outbox.a \
	      $(DESTDIR)$(LIBDIR)/libcoord-outbox.so.$(VERSION) \
	      $(DESTDIR)$(LIBDIR)/$(OUTBOX_SONAME) \
	      $(DESTDIR)$(LIBDIR)/libcoord-outbox.so \
	      $(DESTDIR)$(LIBDIR)/pkgconfig/coord.pc \
	      $(DESTDIR)$(LIBDIR)/pkgconfig/coord-outbox.pc \
	      $(DESTDIR)$(CMAKEDIR)/coordConfig.cmake \
	      $(DESTDIR)$(CMAKEDIR)/coordConfigVersion.cmake \
	      $(DESTDIR)$(BINDIR)/coord \
	      $(DESTDIR)$(BINDIR)/coord-sim \
	      $(DESTDIR)$(MANDIR)/man1/coord.1
	-rmdir $(DESTDIR)$(INCLUDEDIR)/coord $(DESTDIR)$(CMAKEDIR) 2>/dev/null

clean:
	rm -rf $(BUILD)
