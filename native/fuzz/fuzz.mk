# Corrupt-model tests and libFuzzer harness (docs/testing.md). Not in ALL_TARGETS: the mocha
# suite (host-tests/engine/corrupt.test.ts) runs `make fuzz` itself.
#   fuzz-asan       build/fuzz/fuzz-corrupt: batch driver, engine under ASan + UBSan
#   fuzz-libfuzzer  build/fuzz/fuzz-reader:  libFuzzer harness (reader, plan, init, invoke)
#   fuzz-asan       build/fuzz/fuzz-adapter: batch driver, adapter / EWC-state import (trainer)
#   fuzz-libfuzzer  build/fuzz/fuzz-adapter-lf: libFuzzer harness for the same imports
# Keep whatever default goal the top-level Makefile has (its `all` comes after the includes).
FUZZ_SAVED_GOAL := $(.DEFAULT_GOAL)
FUZZ_CC := clang
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -std=c11 -O2 -g -fno-omit-frame-pointer -Wall -Wextra -ffp-contract=off \
  -Inative/include -Inative/kernels -Inative/model -Inative/plan -Inative/engine -Inative/fuzz \
  $(FUZZ_SAN)
FUZZ_ENGINE_SRCS := $(wildcard native/model/*.c native/kernels/*.c native/plan/*.c native/engine/*.c)
# Engine objects carry libFuzzer's coverage instrumentation; the plain ASan driver links
# them too (the sanitizer runtime provides the coverage hooks).
FUZZ_ENGINE_OBJS := $(patsubst native/%.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_ENGINE_SRCS))
FUZZ_HDRS := $(wildcard native/include/*.h native/*/*.h)
# The trainer joins only the adapter harnesses (the model fuzzers stay engine-only).
FUZZ_TRAIN_OBJS := $(patsubst native/%.c,$(FUZZ_DIR)/obj/%.o,$(wildcard native/train/*.c))
FUZZ_ADAPTER_SRCS := native/fuzz/adapter_run.c

.PHONY: fuzz fuzz-asan fuzz-libfuzzer
fuzz: fuzz-asan fuzz-libfuzzer
fuzz-asan: $(FUZZ_DIR)/fuzz-corrupt $(FUZZ_DIR)/fuzz-adapter
fuzz-libfuzzer: $(FUZZ_DIR)/fuzz-reader $(FUZZ_DIR)/fuzz-adapter-lf

$(FUZZ_DIR)/obj/%.o: native/%.c $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/fuzz-corrupt: native/fuzz/driver.c native/fuzz/fuzz_run.c $(FUZZ_ENGINE_OBJS) $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) native/fuzz/driver.c native/fuzz/fuzz_run.c $(FUZZ_ENGINE_OBJS) -lm -o $@

$(FUZZ_DIR)/fuzz-reader: native/fuzz/libfuzzer.c native/fuzz/fuzz_run.c $(FUZZ_ENGINE_OBJS) $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer native/fuzz/libfuzzer.c native/fuzz/fuzz_run.c $(FUZZ_ENGINE_OBJS) -lm -o $@

$(FUZZ_DIR)/fuzz-adapter: native/fuzz/adapter_driver.c $(FUZZ_ADAPTER_SRCS) $(FUZZ_TRAIN_OBJS) $(FUZZ_ENGINE_OBJS) $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) native/fuzz/adapter_driver.c $(FUZZ_ADAPTER_SRCS) $(FUZZ_TRAIN_OBJS) $(FUZZ_ENGINE_OBJS) -lm -o $@

$(FUZZ_DIR)/fuzz-adapter-lf: native/fuzz/libfuzzer_adapter.c $(FUZZ_ADAPTER_SRCS) $(FUZZ_TRAIN_OBJS) $(FUZZ_ENGINE_OBJS) $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer native/fuzz/libfuzzer_adapter.c $(FUZZ_ADAPTER_SRCS) $(FUZZ_TRAIN_OBJS) $(FUZZ_ENGINE_OBJS) -lm -o $@

.DEFAULT_GOAL := $(FUZZ_SAVED_GOAL)
