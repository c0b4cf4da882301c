# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
# libcpae -- build, test, install.
#   make            shared + static library in lib/ (installs nothing: a missing
#                   package stops it with the apt-get command to run)
#   make deps       install (as root) every package for make, make check, make demo
#   make check      build and run the test suite (installs missing packages)
#   make check-abi  header, exported-symbol and version checks (part of check)
#   make asan       the test suite under AddressSanitizer + UBSan
#   make tsan       readers and trainers on threads under ThreadSanitizer
#   make fuzz       libFuzzer on the model loader and the data parsers (FUZZ_RUNS)
#   make demo       the main demonstration (installs missing packages)
#   make figures    the gallery's figures (docs/gallery.md) into FIGURES_DIR (idem)
#   make examples   build the example programs
#   make bench      ms/step, GFLOP/s and % of GEMM peak of every method (BENCH_SECONDS,
#                   THREADS, BENCH_PRECISION); exact slices; the exact form's kernels
#   make bench-peer libcpae against the PyTorch peer in PEER_DIR, interleaved (STEPS, THREADS)
#   make docs       API reference (doxygen) in docs/api/ (installs doxygen)
#   make install    PREFIX=/usr/local DESTDIR= LIBDIR= INCLUDEDIR= PKGCONFIGDIR=
#                   (runs ldconfig as root for a system LIBDIR, else says how)
#   make uninstall

# One version source: the header.
HDR := include/cpae.h
MAJOR := $(shell sed -n 's/^\#define CPAE_VERSION_MAJOR \([0-9]*\).*/\1/p' $(HDR))
MINOR := $(shell sed -n 's/^\#define CPAE_VERSION_MINOR \([0-9]*\).*/\1/p' $(HDR))
PATCH := $(shell sed -n 's/^\#define CPAE_VERSION_PATCH \([0-9]*\).*/\1/p' $(HDR))
VERSION := $(MAJOR).$(MINOR).$(PATCH)

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR ?=

CC ?= cc
PYTHON ?= $(shell [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)
DEPS := sh .ci/ensure-deps.sh

# Packages (.ci/ensure-deps.sh). Plain `make` (all, examples, install, bench)
# only checks: when a package is missing it prints the apt-get command (and
# `make deps`) and stops. The test targets, demo, figures and docs install
# what they miss when run as root (else print the command and stop). One
# check per run, ordered before any compilation, for the goals named on the
# command line.
DEPS_INSTALLING := check test asan tsan fuzz demo figures docs
DEPS_SETS := build $(if $(filter check test asan tsan fuzz,$(MAKECMDGOALS)),check) \
             $(if $(filter demo figures,$(MAKECMDGOALS)),figures) \
             $(if $(filter docs,$(MAKECMDGOALS)),docs)
DEPS_MODE := $(if $(filter $(DEPS_INSTALLING),$(MAKECMDGOALS)),,--no-install)

# Private requirements of the library (also written to cpae.pc). BLAS and
# LAPACK(E) through Debian's generic interfaces: the library needs
# libblas.so.3 (liblapacke needs liblapack.so.3), and update-alternatives
# picks the implementation at run time (OpenBLAS by default; docs/THREADING.md).
# The CBLAS header comes from OpenBLAS's own folder first: src/core/blas.c
# uses its blasint type, which other cblas.h alternatives lack.
PC_DEPS := blas lapacke zlib jansson
DEP_CFLAGS = $(shell pkg-config --cflags openblas $(PC_DEPS) 2>/dev/null)
DEP_LIBS = $(shell pkg-config --libs $(PC_DEPS) 2>/dev/null)
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)

WARN := -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wno-unused-parameter
OPT ?= -O2 -g
CFLAGS_LIB = -std=c11 $(OPT) $(WARN) -fPIC -fvisibility=hidden -fno-math-errno -D_POSIX_C_SOURCE=200809L \
             -Iinclude -Isrc $(DEP_CFLAGS) $(EXTRA_CFLAGS)
CFLAGS_TEST = -std=c11 $(OPT) -Wall -Wextra -Wpedantic -Werror -D_POSIX_C_SOURCE=200809L \
              -Iinclude -Itest $(CHECK_CFLAGS) $(EXTRA_CFLAGS)

# One folder per concept (docs/design.md); objects mirror the folders.
SRCS := $(sort $(wildcard src/*/*.c))
SRC_HDRS := $(wildcard src/*/*.h)
# Generic sources (they include core/real.h) are compiled twice: in double
# and, with -DCPAE_SINGLE, in single precision (objects *.f.o).
GENERIC := $(shell grep -l '^\#include "core/real.h"' $(SRCS))
objs_in = $(patsubst src/%.c,$(1)/%.o,$(SRCS)) $(patsubst src/%.c,$(1)/%.f.o,$(GENERIC))
OBJS := $(call objs_in,build/obj)
# check_internal_*.c test internal modules: linked with the objects, not the
# shared library (whose internal symbols are hidden).
INTERNAL_TESTS := $(sort $(wildcard test/check_internal_*.c))
TESTS := $(filter-out $(INTERNAL_TESTS),$(sort $(wildcard test/check_*.c)))
TEST_BINS := $(patsubst test/%.c,build/test/%,$(TESTS)) \
             $(patsubst test/%.c,build/test/%,$(INTERNAL_TESTS))
EXAMPLES := $(filter-out examples/mpi_train.c,$(sort $(wildcard examples/*.c)))
EXAMPLE_BINS := $(patsubst examples/%.c,build/examples/%,$(EXAMPLES))
# libcpae-mpi (section below): built and tested when Open MPI is installed.
MPI_OK := $(shell pkg-config --exists mpi-c 2>/dev/null && command -v mpirun >/dev/null 2>&1 && echo 1)
MPI_CFLAGS = $(shell pkg-config --cflags mpi-c 2>/dev/null)
MPI_LIBS = $(shell pkg-config --libs mpi-c 2>/dev/null)
MPI_HDR := include/cpae_mpi.h
MPI_SONAME := libcpae-mpi.so.$(MAJOR)
MPI_SHLIB := lib/libcpae-mpi.so.$(VERSION)
MPI_BINS := $(MPI_SHLIB) lib/cpae-mpi.pc build/test/check_mpi build/examples/mpi_train

SONAME := libcpae.so.$(MAJOR)
SHLIB := lib/libcpae.so.$(VERSION)
STLIB := lib/libcpae.a

.PHONY: all deps deps-ensure check test asan tsan fuzz examples demo figures docs install uninstall clean bench \
        bench-peer mpi check-mpi bench-mpi install-mpi uninstall-mpi \
        install-shared install-static install-includes install-pc check-abi abi-update

all: deps-ensure $(SHLIB) $(STLIB) lib/cpae.pc

deps-ensure:
	@$(DEPS) $(DEPS_MODE) $(DEPS_SETS)

# Everything for make, make check and make demo (apt-get as root).
deps:
	@$(DEPS) build check figures

build/obj/%.o: src/%.c $(HDR) $(SRC_HDRS) | build/obj deps-ensure
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_LIB) -c $< -o $@
build/obj/%.f.o: src/%.c $(HDR) $(SRC_HDRS) | build/obj deps-ensure
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_LIB) -DCPAE_SINGLE -c $< -o $@

build/obj build/test build/examples build/asan lib:
	@mkdir -p $@

# Only cpae_* symbols are exported: hidden visibility plus a version script.
$(SHLIB): $(OBJS) src/libcpae.map | lib
	$(CC) -shared -o $@ $(OBJS) -Wl,-soname,$(SONAME) -Wl,--version-script=src/libcpae.map \
	    -Wl,--no-undefined $(DEP_LIBS) -lm $(LDFLAGS)
	ln -sf libcpae.so.$(VERSION) lib/$(SONAME)
	ln -sf $(SONAME) lib/libcpae.so

$(STLIB): $(OBJS) | lib
	rm -f $@
	ar rcs $@ $(OBJS)

# cpae.pc for the build tree's install paths (regenerated by install).
lib/cpae.pc: pkgconfig/cpae.pc.in $(HDR) | lib
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@REQUIRES_PRIVATE@|$(PC_DEPS)|' $< > $@

# ------------------------------------------------------------------ tests
build/test/%: test/%.c test/testutil.h $(SHLIB) | build/test deps-ensure
	$(CC) $(CFLAGS_TEST) $< -o $@ -Llib -lcpae -Wl,-rpath,$(CURDIR)/lib $(CHECK_LIBS) -lz -lm

# check_pca checks the PCA against an SVD it computes itself (LAPACKE).
build/test/check_pca: test/check_pca.c test/testutil.h $(SHLIB) | build/test deps-ensure
	$(CC) $(CFLAGS_TEST) $(DEP_CFLAGS) $< -o $@ -Llib -lcpae -Wl,-rpath,$(CURDIR)/lib $(CHECK_LIBS) \
	    $(DEP_LIBS) -lm

build/test/check_internal_%: test/check_internal_%.c test/testutil.h $(OBJS) | build/test deps-ensure
	$(CC) $(CFLAGS_TEST) -Isrc $(DEP_CFLAGS) $< $(OBJS) -o $@ $(DEP_LIBS) $(CHECK_LIBS) -lm

# The examples run end to end (table1) and on bad command lines (all).
check: deps-ensure all check-abi $(TEST_BINS) $(EXAMPLE_BINS) $(if $(MPI_OK),$(MPI_BINS))
	@PYTHON=$(PYTHON) sh test/run.sh $(TEST_BINS)

test: check

# Sanitizer build: library objects and tests compiled together, statically.
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_OBJS := $(call objs_in,build/asan)
ASAN_BINS := $(patsubst test/%.c,build/asan/%,$(TESTS) $(INTERNAL_TESTS))
build/asan/%.o: src/%.c $(HDR) $(SRC_HDRS) | build/asan deps-ensure
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_LIB) $(ASAN_FLAGS) -O1 -c $< -o $@
build/asan/%.f.o: src/%.c $(HDR) $(SRC_HDRS) | build/asan deps-ensure
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_LIB) $(ASAN_FLAGS) -O1 -DCPAE_SINGLE -c $< -o $@
build/asan/check_%: test/check_%.c test/testutil.h $(ASAN_OBJS) | build/asan deps-ensure
	$(CC) $(CFLAGS_TEST) -Isrc $(DEP_CFLAGS) $(ASAN_FLAGS) -O1 $< $(ASAN_OBJS) -o $@ $(DEP_LIBS) $(CHECK_LIBS) -lm
asan: deps-ensure $(ASAN_BINS)
	@CK_FORK=no ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	    NO_PYTHON=1 sh test/run.sh $(ASAN_BINS)

# ThreadSanitizer: the library compiled with -fsanitize=thread and a test
# with eight readers on one model and six concurrent trainers. OpenBLAS runs
# single-threaded here (its own threads are not instrumented).
TSAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer
TSAN_OBJS := $(call objs_in,build/tsan)
build/tsan:
	mkdir -p $@
build/tsan/%.o: src/%.c $(HDR) $(SRC_HDRS) | build/tsan deps-ensure
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_LIB) $(TSAN_FLAGS) -O1 -c $< -o $@
build/tsan/%.f.o: src/%.c $(HDR) $(SRC_HDRS) | build/tsan deps-ensure
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_LIB) $(TSAN_FLAGS) -O1 -DCPAE_SINGLE -c $< -o $@
build/tsan/threads: test/tsan/threads.c $(TSAN_OBJS) | build/tsan deps-ensure
	$(CC) $(CFLAGS_TEST) $(TSAN_FLAGS) -O1 $< $(TSAN_OBJS) -o $@ $(DEP_LIBS) -lm
tsan: deps-ensure build/tsan/threads
	OPENBLAS_NUM_THREADS=1 TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	    ./build/tsan/threads

# libFuzzer (clang): the model loader and each data parser, with ASan and
# UBSan; FUZZ_RUNS executions per harness (docs/reliability.md has long runs).
FUZZ_CC ?= clang
FUZZ_RUNS ?= 20000
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_OBJS := $(call objs_in,build/fuzz/obj)
FUZZ_BINS := build/fuzz/fuzz_model build/fuzz/fuzz_checkpoint build/fuzz/fuzz_ucr \
             build/fuzz/fuzz_csv build/fuzz/fuzz_idx
build/fuzz/obj:
	mkdir -p $@
build/fuzz/obj/%.o: src/%.c $(HDR) $(SRC_HDRS) | build/fuzz/obj deps-ensure
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CFLAGS_LIB) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -O1 -g -c $< -o $@
build/fuzz/obj/%.f.o: src/%.c $(HDR) $(SRC_HDRS) | build/fuzz/obj deps-ensure
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CFLAGS_LIB) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -O1 -g -DCPAE_SINGLE -c $< -o $@
build/fuzz/fuzz_model build/fuzz/fuzz_checkpoint: build/fuzz/%: test/fuzz/%.c $(FUZZ_OBJS) | deps-ensure
	$(FUZZ_CC) -std=c11 -Iinclude -fsanitize=fuzzer $(FUZZ_SAN) -O1 -g $< $(FUZZ_OBJS) -o $@ \
	    $(DEP_LIBS) -lm
build/fuzz/fuzz_%: test/fuzz/fuzz_data.c $(FUZZ_OBJS) | deps-ensure
	$(FUZZ_CC) -std=c11 -Iinclude -fsanitize=fuzzer $(FUZZ_SAN) -O1 -g \
	    -DFUZZ_FORMAT=CPAE_FORMAT_$(shell echo $* | tr a-z A-Z) $< $(FUZZ_OBJS) -o $@ \
	    $(DEP_LIBS) -lm
fuzz: deps-ensure $(FUZZ_BINS)
	@ASAN_OPTIONS=detect_leaks=1 sh test/fuzz/run.sh $(FUZZ_RUNS) $(FUZZ_BINS)

# ------------------------------------------------------------ libcpae-mpi
# The MPI companion library (mpi/, include/cpae_mpi.h; the core library
# never links MPI): `make mpi` builds it, its test and examples/mpi_train;
# `make check` does too, and runs test/mpi/run.sh (mpirun -np 1, 2, 3),
# when Open MPI (pkg-config mpi-c, mpirun) is installed.
build/mpi:
	@mkdir -p $@
build/mpi/cpae_mpi.o: mpi/cpae_mpi.c $(MPI_HDR) $(HDR) | build/mpi
	$(CC) -std=c11 $(OPT) $(WARN) -fPIC -fvisibility=hidden -D_POSIX_C_SOURCE=200809L \
	    -Iinclude $(MPI_CFLAGS) -c $< -o $@
$(MPI_SHLIB): build/mpi/cpae_mpi.o $(SHLIB) mpi/libcpae-mpi.map | lib
	$(CC) -shared -o $@ build/mpi/cpae_mpi.o -Wl,-soname,$(MPI_SONAME) \
	    -Wl,--version-script=mpi/libcpae-mpi.map -Wl,--no-undefined -Llib -lcpae $(MPI_LIBS) \
	    $(LDFLAGS)
	ln -sf libcpae-mpi.so.$(VERSION) lib/$(MPI_SONAME)
	ln -sf $(MPI_SONAME) lib/libcpae-mpi.so
lib/cpae-mpi.pc: pkgconfig/cpae-mpi.pc.in $(HDR) | lib
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' $< > $@
build/test/check_mpi: test/mpi/check_mpi.c $(MPI_HDR) $(MPI_SHLIB) | build/test
	$(CC) -std=c11 $(OPT) -Wall -Wextra -Wpedantic -Werror -D_POSIX_C_SOURCE=200809L -Iinclude \
	    $(MPI_CFLAGS) $< -o $@ -Llib -lcpae-mpi -lcpae -Wl,-rpath,$(CURDIR)/lib $(MPI_LIBS) -lm
build/examples/mpi_train: examples/mpi_train.c $(MPI_HDR) $(MPI_SHLIB) | build/examples
	$(CC) -std=c11 $(OPT) $(WARN) -D_POSIX_C_SOURCE=200809L -Iinclude $(MPI_CFLAGS) $< -o $@ \
	    -Llib -lcpae-mpi -lcpae -Wl,-rpath,$(CURDIR)/lib $(MPI_LIBS) -lm
mpi: all $(MPI_BINS)
check-mpi: mpi
	sh test/mpi/run.sh

# bench-mpi: ms per data-parallel step with 1 and 2 processes, one OpenBLAS
# thread each (BENCH_MPI_STEPS timed steps a row); docs/scaling.md.
BENCH_MPI_STEPS ?= 20
MPIRUN_FLAGS := --oversubscribe $(shell [ "$$(id -u)" = 0 ] && echo --allow-run-as-root)
build/bench_mpi: test/bench_mpi.c $(MPI_HDR) $(MPI_SHLIB) | build/test
	$(CC) -std=c11 $(OPT) $(WARN) -D_POSIX_C_SOURCE=200809L -Iinclude $(MPI_CFLAGS) $< -o $@ \
	    -Llib -lcpae-mpi -lcpae -Wl,-rpath,$(CURDIR)/lib $(MPI_LIBS) -lm
bench-mpi: mpi build/bench_mpi
	for np in 1 2; do mpirun $(MPIRUN_FLAGS) -x OPENBLAS_NUM_THREADS=1 -np $$np \
	    ./build/bench_mpi $(BENCH_MPI_STEPS) || exit 1; done

# ------------------------------------------------------------------ bench
# Benchmarks, not tests (never part of make check).
# bench: ms/step, GFLOP/s and % of the single-thread sgemm / dgemm peak of
# every method at the two reference shapes (one Markdown table); exact
# slices and rasters (bench_geometry); the exact form's batched kernels
# (bench_expm). BENCH_SECONDS: timed seconds per row (default 3); THREADS:
# OpenBLAS threads of the training steps (default 1); BENCH_PRECISION: 32 or
# 64 when the library has CPAE_P_PRECISION (default: the library's).
BENCH_SECONDS ?= 3
THREADS ?= 1
BENCH_HDRS := test/bench_common.h
build/bench build/bench_step: build/%: test/%.c $(BENCH_HDRS) $(SHLIB) | build/test deps-ensure
	$(CC) -std=c11 $(OPT) $(WARN) -Iinclude $(DEP_CFLAGS) $< -o $@ -Llib -lcpae \
	    -Wl,-rpath,$(CURDIR)/lib $(DEP_LIBS) -lm

build/bench_geometry: test/bench_geometry.c $(SHLIB) | build/test deps-ensure
	$(CC) -std=c11 $(OPT) $(WARN) -Iinclude $< -o $@ -Llib -lcpae -Wl,-rpath,$(CURDIR)/lib -lm

# The exact Lie form's batched kernels against per-sample loops (internal
# API: linked with the objects, like the internal tests).
build/bench_expm: test/bench_expm.c $(OBJS) | build/test deps-ensure
	$(CC) $(CFLAGS_TEST) -Isrc $(DEP_CFLAGS) $< $(OBJS) -o $@ $(DEP_LIBS) -lm

bench: deps-ensure all build/bench build/bench_geometry build/bench_expm
	OPENBLAS_NUM_THREADS=$(THREADS) ./build/bench $(BENCH_SECONDS)
	./build/bench_geometry
	./build/bench_expm

# bench-peer: libcpae (build/bench_step) and the PyTorch peer of PEER_DIR
# (peerx.py, float32, closed-form Jacobians) on the same synthetic data and
# settings, interleaved A B A B, best of 3 each; prints ms per step and the
# speed-up. Skipped (exit 0, with the reason) without PEER_DIR or without
# torch for /usr/bin/python3. PEER_DIR defaults to ../shared/peer beside the
# checkout (or beside the main worktree of a git worktree). STEPS caps the
# timed steps of every row; THREADS (default 1) is both sides' threads.
PEER_DIR ?=
bench-peer: deps-ensure all build/bench_step
	@PEER_DIR="$(PEER_DIR)" THREADS=$(THREADS) $(PYTHON) test/bench_peer.py

# --------------------------------------------------------------- examples
build/examples/%: examples/%.c $(SHLIB) | build/examples deps-ensure
	$(CC) -std=c11 $(OPT) $(WARN) -Iinclude $< -o $@ -Llib -lcpae -Wl,-rpath,$(CURDIR)/lib -lm

examples: all $(EXAMPLE_BINS)

# table1's paired t-test takes Student's t distribution from GSL.
build/examples/table1: examples/table1.c $(SHLIB) | build/examples deps-ensure
	$(CC) -std=c11 $(OPT) $(WARN) -Iinclude $(shell pkg-config --cflags gsl 2>/dev/null) $< \
	    -o $@ -Llib -lcpae -Wl,-rpath,$(CURDIR)/lib $(shell pkg-config --libs gsl 2>/dev/null) -lm

# The demo and the figures write JSON with jansson; examples/plots.py draws
# it with matplotlib (Debian's /usr/bin/python3 sees python3-matplotlib).
build/examples/demo build/examples/figures: build/examples/%: examples/%.c $(SHLIB) | build/examples deps-ensure
	$(CC) -std=c11 $(OPT) $(WARN) -Iinclude $(shell pkg-config --cflags jansson 2>/dev/null) $< \
	    -o $@ -Llib -lcpae -Wl,-rpath,$(CURDIR)/lib $(shell pkg-config --libs jansson 2>/dev/null) -lm

demo: deps-ensure all build/examples/demo
	./build/examples/demo examples/data/ucr demo.json
	/usr/bin/python3 examples/plots.py demo demo.json demo.png

# The gallery's figures (docs/gallery.md): FIGURES_DIR=DIR to write elsewhere.
FIGURES_DIR ?= docs/figures
figures: deps-ensure all build/examples/figures
	mkdir -p $(FIGURES_DIR)
	./build/examples/figures $(FIGURES_DIR) examples/data/ucr
	/usr/bin/python3 examples/plots.py figures $(FIGURES_DIR)

# ------------------------------------------------------------------- docs
docs: deps-ensure all
	CPAE_VERSION=$(VERSION) doxygen docs/Doxyfile >/dev/null
	@echo "API reference: docs/api/html/index.html"

# ---------------------------------------------------------------- install
# Then ldconfig when installing as root, without DESTDIR, into a directory
# of the dynamic linker (/usr/local/lib, /usr/lib, ...); otherwise one line
# on how programs find the library (.ci/post-install.sh).
install: install-shared install-static install-includes install-pc
	@DESTDIR="$(DESTDIR)" sh .ci/post-install.sh "$(LIBDIR)"

install-shared: $(SHLIB)
	install -d $(DESTDIR)$(LIBDIR)
	install -m 755 $(SHLIB) $(DESTDIR)$(LIBDIR)/
	ln -sf libcpae.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libcpae.so

install-static: $(STLIB)
	install -d $(DESTDIR)$(LIBDIR)
	install -m 644 $(STLIB) $(DESTDIR)$(LIBDIR)/

install-includes:
	install -d $(DESTDIR)$(INCLUDEDIR)
	install -m 644 $(HDR) $(DESTDIR)$(INCLUDEDIR)/

install-pc: pkgconfig/cpae.pc.in
	install -d $(DESTDIR)$(PKGCONFIGDIR)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@REQUIRES_PRIVATE@|$(PC_DEPS)|' $< > $(DESTDIR)$(PKGCONFIGDIR)/cpae.pc

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libcpae.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	      $(DESTDIR)$(LIBDIR)/libcpae.so $(DESTDIR)$(LIBDIR)/libcpae.a \
	      $(DESTDIR)$(INCLUDEDIR)/cpae.h $(DESTDIR)$(PKGCONFIGDIR)/cpae.pc

# The Python package python/cpae (docs/python.md), installed by install and
# removed by uninstall: into the directory under PREFIX that $(PYTHON)
# imports from (python/sitedir.py: /usr/lib/python3/dist-packages for
# /usr, /usr/local/lib/python3.X/dist-packages for /usr/local on Debian);
# PYTHONDIR=DIR overrides it.
PY_SRCS := $(sort $(wildcard python/cpae/*.py))
PYTHONDIR ?= $(shell $(PYTHON) python/sitedir.py $(PREFIX))
.PHONY: install-python uninstall-python
install: install-python
uninstall: uninstall-python

# libcpae-mpi, installed and removed with the rest when Open MPI is there
# (make install-mpi alone otherwise fails with the missing mpi-c).
ifeq ($(MPI_OK),1)
install: install-mpi
uninstall: uninstall-mpi
endif
install-mpi: $(MPI_SHLIB) pkgconfig/cpae-mpi.pc.in
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 755 $(MPI_SHLIB) $(DESTDIR)$(LIBDIR)/
	ln -sf libcpae-mpi.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(MPI_SONAME)
	ln -sf $(MPI_SONAME) $(DESTDIR)$(LIBDIR)/libcpae-mpi.so
	install -m 644 $(MPI_HDR) $(DESTDIR)$(INCLUDEDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    pkgconfig/cpae-mpi.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/cpae-mpi.pc
uninstall-mpi:
	rm -f $(DESTDIR)$(LIBDIR)/libcpae-mpi.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(MPI_SONAME) \
	      $(DESTDIR)$(LIBDIR)/libcpae-mpi.so $(DESTDIR)$(INCLUDEDIR)/cpae_mpi.h \
	      $(DESTDIR)$(PKGCONFIGDIR)/cpae-mpi.pc

install-python: $(PY_SRCS)
	@[ -n "$(PYTHONDIR)" ] || { echo "install-python: set PYTHONDIR (no $(PYTHON)?)" >&2; exit 1; }
	install -d $(DESTDIR)$(PYTHONDIR)/cpae
	install -m 644 $(PY_SRCS) $(DESTDIR)$(PYTHONDIR)/cpae/
	@$(PYTHON) python/sitedir.py --check $(PYTHONDIR) || \
	    echo "note: $(PYTHONDIR) is not on $(PYTHON)'s sys.path: import cpae with PYTHONPATH=$(PYTHONDIR)"

uninstall-python:
	rm -f $(addprefix $(DESTDIR)$(PYTHONDIR)/cpae/,$(notdir $(PY_SRCS)))
	rm -rf $(DESTDIR)$(PYTHONDIR)/cpae/__pycache__
	rmdir $(DESTDIR)$(PYTHONDIR)/cpae 2>/dev/null || true

clean:
	rm -rf build lib docs/api

# -------------------------------------------------------------------- abi
# Header self-containment (C99/C11/C++11), exported symbols against the
# header and test/abi/libcpae.symbols, version consistency. All three run;
# the target fails if any does.
check-abi: all
	@rc=0; \
	CC="$(CC)" sh test/abi/check_header.sh include || rc=1; \
	CC="$(CC)" sh test/abi/check_symbols.sh lib/libcpae.so include/cpae.h || rc=1; \
	CC="$(CC)" sh test/abi/check_version.sh lib include || rc=1; \
	if [ $$rc -eq 0 ]; then echo "PASS: check-abi"; else echo "FAIL: check-abi"; fi; \
	exit $$rc

# After an intended API change: regenerate the reviewed symbol list.
abi-update:
	CC="$(CC)" sh test/abi/check_symbols.sh --update
