# accumlab — build, test, serve, bench. `make help` lists the targets.
# The core builds natively with gcc (tests, sanitizers, fuzzing, speed reference) and with
# emcc into two standalone WebAssembly modules: SIMD and scalar.

SHELL := /bin/bash
CC      ?= gcc
EMCC    ?= emcc
BUILD   := build
CORE_SRC := $(sort $(wildcard core/*.c))
CORE_HDR := $(wildcard core/*.h)
# Determinism: no fast-math, no contraction into FMA, the core's own transcendental functions.
# Every build of the core (native, the three wasm builds, fuzzing, benchmarks) uses these.
DETERMINISM := -std=c11 -ffp-contract=off -fno-math-errno
# -fno-slp-vectorize: Emscripten 3.1.6's SLP vectoriser miscompiles the splitmix64 loop of
# al_rng_normal under -msimd128 (the SIMD build drew a different sequence than the scalar
# one; caught by tests/node/determinism.test.mjs). The core's SIMD is explicit, so nothing
# is lost.
WASM_DETERMINISM := $(DETERMINISM) -fno-slp-vectorize
CFLAGS_COMMON := $(DETERMINISM) -O2 -Wall -Wextra -Wno-unused-parameter
NATIVE_CFLAGS := $(CFLAGS_COMMON) -msse2 -g
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# What the core asks its host for (env.al_progress: progress inside a step): a JS library,
# so each is an import of the standalone module; the binding gives the real functions.
HOST_IMPORTS := --js-library wasm/host-imports.js
# The functions the wasm module exports: listed once, as data.
EXPORTS := $(shell tr '\n' ' ' < wasm/exports.txt 2>/dev/null | sed 's/ *$$//; s/ /,/g')
EMFLAGS := -O3 $(WASM_DETERMINISM) --no-entry -sSTANDALONE_WASM \
           -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=4MB -sMAXIMUM_MEMORY=1GB -sTOTAL_STACK=1MB \
           -sEXPORTED_FUNCTIONS=$(EXPORTS) -sERROR_ON_UNDEFINED_SYMBOLS=1 $(HOST_IMPORTS)
export NODE_PATH := /usr/share/nodejs

.PHONY: all wasm native test test-c test-node test-browser fuzz fuzz-merge site serve bench bench-build bench-browser dist clean help deps

all: wasm native ## build both wasm modules and the native test binaries

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

wasm: wasm/accumlab.wasm wasm/accumlab-scalar.wasm wasm/contract.mjs ## the SIMD and scalar WebAssembly modules, and the contract module

# The core's schema, record layout and cause ids as an ES module, for the page's main thread.
wasm/contract.mjs: wasm/accumlab-scalar.wasm wasm/tools/write-contract.mjs wasm/accumlab.mjs
	node wasm/tools/write-contract.mjs $@

wasm/accumlab.wasm: $(CORE_SRC) $(CORE_HDR) wasm/exports.txt wasm/host-imports.js
	$(EMCC) $(EMFLAGS) -msimd128 $(CORE_SRC) -o $@

wasm/accumlab-scalar.wasm: $(CORE_SRC) $(CORE_HDR) wasm/exports.txt wasm/host-imports.js
	$(EMCC) $(EMFLAGS) $(CORE_SRC) -o $@

C_TESTS := $(patsubst tests/c/%.c,$(BUILD)/native/%,$(wildcard tests/c/test_*.c))

native: $(C_TESTS) $(BUILD)/native/accumlab_native ## native C unit tests (ASan+UBSan) and the native runner

# The native build of the same C code, no sanitizers: the bit-exactness and speed reference.
$(BUILD)/native/accumlab_native: tests/c/native_run.c $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(NATIVE_CFLAGS) -Icore $< $(CORE_SRC) -lm -o $@

# The same, with the same-point pass always run in full (forward and backward per micro-batch):
# tests/node/native.test.mjs checks that the shortcut (the reference forward's activations
# reused) gives the same bits.
$(BUILD)/native/accumlab_native_fullpass: tests/c/native_run.c $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(NATIVE_CFLAGS) -DAL_SAME_POINT_FULL_PASS -Icore $< $(CORE_SRC) -lm -o $@

$(BUILD)/native/%: tests/c/%.c $(CORE_SRC) $(CORE_HDR) tests/c/check.h
	@mkdir -p $(dir $@)
	$(CC) $(NATIVE_CFLAGS) $(SAN_FLAGS) -Icore $< $(CORE_SRC) -lm -o $@

test: deps all test-c test-node fuzz test-browser ## everything: C (sanitizers), Node, fuzzing, browser

# The same C unit tests as WebAssembly (WASI commands run by Node), in the SIMD and the scalar
# build: the core's wasm_simd128.h paths and its plain 4-lane fallbacks, which the native
# (SSE2) binaries do not run. Same flags as the shipped modules.
C_TESTS_WASM := $(foreach b,simd scalar,$(patsubst tests/c/%.c,$(BUILD)/ctest-wasm/$(b)/%.wasm,$(wildcard tests/c/test_*.c)))
WASM_TEST_FLAGS := -O3 $(WASM_DETERMINISM) -sSTANDALONE_WASM \
           -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=1GB -sTOTAL_STACK=1MB -Icore $(HOST_IMPORTS)
$(BUILD)/ctest-wasm/simd/%.wasm: tests/c/%.c $(CORE_SRC) $(CORE_HDR) tests/c/check.h
	@mkdir -p $(dir $@)
	$(EMCC) $(WASM_TEST_FLAGS) -msimd128 $< $(CORE_SRC) -o $@
$(BUILD)/ctest-wasm/scalar/%.wasm: tests/c/%.c $(CORE_SRC) $(CORE_HDR) tests/c/check.h
	@mkdir -p $(dir $@)
	$(EMCC) $(WASM_TEST_FLAGS) $< $(CORE_SRC) -o $@

test-c: $(C_TESTS) $(C_TESTS_WASM) ## C unit tests: native with ASan+UBSan, then as SIMD and scalar wasm
	@set -e; for t in $(C_TESTS); do echo "== $$t"; ./$$t; done
	@set -e; for t in $(C_TESTS_WASM); do echo "== $$t"; node tests/c/run-wasm.mjs $$t; done

test-node: wasm $(BUILD)/native/accumlab_native $(BUILD)/native/accumlab_native_fullpass
	node --test $(wildcard tests/node/*.test.mjs)

test-browser: wasm
	@if ls tests/browser/*.test.mjs >/dev/null 2>&1; then node --test --test-concurrency=1 tests/browser/*.test.mjs; fi

# libFuzzer + ASan + UBSan over the config parser and the whole C API, 2 x FUZZ_SECONDS
# (60 s in all, the CI budget). New inputs go to build/fuzz/corpus-* (keep build/fuzz/ between
# CI runs); `make fuzz-merge` minimises them into the repo corpus tests/c/corpus/{api,config}.
FUZZ_SECONDS ?= 30
FUZZ_FLAGS := -g -O1 $(DETERMINISM) -fsanitize=fuzzer,address,undefined
fuzz: ## run both fuzzers for FUZZ_SECONDS each (default 30)
	@mkdir -p $(BUILD)/fuzz
	clang $(FUZZ_FLAGS) -Icore tests/c/fuzz_api.c $(CORE_SRC) -lm -o $(BUILD)/fuzz/fuzz_api
	clang $(FUZZ_FLAGS) -Icore tests/c/fuzz_config.c $(CORE_SRC) -lm -o $(BUILD)/fuzz/fuzz_config
	scripts/fuzz.sh $(BUILD)/fuzz/fuzz_api $(FUZZ_SECONDS) $(BUILD)/fuzz/corpus-api tests/c/corpus/api -max_len=4096 -dict=tests/c/fuzz.dict
	scripts/fuzz.sh $(BUILD)/fuzz/fuzz_config $(FUZZ_SECONDS) $(BUILD)/fuzz/corpus-config tests/c/corpus/config -max_len=8192 -dict=tests/c/fuzz.dict

# Keeps an input only if it reaches a code edge the repo corpus does not (-use_counters=0:
# edges, not hit counts, so the corpus stays small). Commit tests/c/corpus/ afterwards.
fuzz-merge: ## after make fuzz: merge inputs that reach new code into tests/c/corpus/
	@test -x $(BUILD)/fuzz/fuzz_api -a -x $(BUILD)/fuzz/fuzz_config || { echo "fuzz-merge: run make fuzz first"; exit 1; }
	@mkdir -p tests/c/corpus/api tests/c/corpus/config
	@$(BUILD)/fuzz/fuzz_api -merge=1 -use_counters=0 tests/c/corpus/api $(BUILD)/fuzz/corpus-api 2>&1 | grep -E 'MERGE-OUTER: [0-9]+ new files' | sed 's/^/fuzz_api: /'
	@$(BUILD)/fuzz/fuzz_config -merge=1 -use_counters=0 tests/c/corpus/config tests/c/corpus/api $(BUILD)/fuzz/corpus-config 2>&1 | grep -E 'MERGE-OUTER: [0-9]+ new files' | sed 's/^/fuzz_config: /'
	@echo "tests/c/corpus/api: $$(ls tests/c/corpus/api | wc -l) inputs, tests/c/corpus/config: $$(ls tests/c/corpus/config | wc -l) inputs"

deps: ## install what is missing (Debian packages, npm packages)
	@bash scripts/install-deps.sh

site: wasm ## assemble the static page into build/site
	node web/tools/build-site.mjs

serve: deps site ## build and serve the lab on http://127.0.0.1:8000/
	node web/tools/serve.mjs build/site 8000

# One self-contained file (scripts, styles, both wasm builds inlined): opens from disk,
# uploads to a learning platform. web/tools/build-dist.mjs says how.
dist: deps wasm ## the single-file lab: dist/accumlab.html
	node web/tools/build-dist.mjs

# ---- benchmarks (bench/, BENCHMARKS.md) ----
# bench_step.c drives the core's internal API; built three ways from the same C: SIMD wasm,
# scalar wasm, and native (gcc -O2 -msse2 -ffp-contract=off: 128-bit vectors, no FMA).
BENCH_EMFLAGS := -O3 $(WASM_DETERMINISM) --no-entry -sSTANDALONE_WASM \
           -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=16MB -sMAXIMUM_MEMORY=1GB -sTOTAL_STACK=1MB -sERROR_ON_UNDEFINED_SYMBOLS=1 $(HOST_IMPORTS)
BENCH_BINS := $(BUILD)/bench/bench.wasm $(BUILD)/bench/bench-scalar.wasm $(BUILD)/bench/bench_native
bench-build: $(BENCH_BINS)
$(BUILD)/bench/bench.wasm: bench/bench_step.c bench/compare_f32_probe.c $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(EMCC) $(BENCH_EMFLAGS) -msimd128 bench/bench_step.c bench/compare_f32_probe.c $(CORE_SRC) -o $@
$(BUILD)/bench/bench-scalar.wasm: bench/bench_step.c $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(EMCC) $(BENCH_EMFLAGS) bench/bench_step.c $(CORE_SRC) -o $@
$(BUILD)/bench/bench_native: bench/bench_native.c bench/bench_step.c $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(DETERMINISM) -O2 -msse2 -Icore bench/bench_native.c bench/bench_step.c $(CORE_SRC) -lm -o $@
bench: wasm $(BENCH_BINS) ## speed: accumlab (SIMD, scalar, native) vs tfjs; writes build/bench/result.json
	node bench/run.mjs
bench-browser: wasm ## time typical lab configs in headless Chromium, then every preset through the page
	node bench/browser.mjs
	node bench/page.mjs

clean:
	rm -rf $(BUILD) wasm/*.wasm dist
