# native/engine.mk - engine library, host CLI and cross builds (engine room).
# Included by the top-level Makefile; every .c in the engine folders joins
# the library automatically (the trainer's native/train files too).

# Fragments are included before the top-level "all" rule: keep it the default.
.DEFAULT_GOAL := all

ENGINE_DIRS := native/model native/kernels native/plan native/train native/engine
ENGINE_SRCS := $(sort $(foreach d,$(ENGINE_DIRS),$(wildcard $(d)/*.c)))
ENGINE_HDRS := $(wildcard native/include/*.h) $(foreach d,$(ENGINE_DIRS),$(wildcard $(d)/*.h))
ENGINE_INC := -Inative/include -Inative/kernels -Inative/model -Inative/plan -Inative/engine

# Kernels are hot loops: ask gcc for its full vectoriser cost model (-O2 only
# tries "very cheap" loops). Same flags on every target keep results identical
# (integer code; vectorisation never changes integer results).
ENGINE_OPT := -fvect-cost-model=dynamic -ftree-vectorize

HOST_OBJDIR := $(BUILD)/host/obj
ENGINE_HOST_OBJS := $(patsubst %.c,$(HOST_OBJDIR)/%.o,$(ENGINE_SRCS))
ENGINE_LIB := $(BUILD)/host/libedgepeft.a

CLI_SRCS := $(sort $(wildcard tools/cli/*.c))
CLI_OBJS := $(patsubst %.c,$(HOST_OBJDIR)/%.o,$(CLI_SRCS))
CLI_BIN := $(BUILD)/bin/edge-peft

$(HOST_OBJDIR)/%.o: %.c $(ENGINE_HDRS) $(wildcard tools/cli/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(ENGINE_OPT) $(ENGINE_INC) -Itools/cli -c $< -o $@

$(ENGINE_LIB): $(ENGINE_HOST_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(CLI_BIN): $(CLI_OBJS) $(ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -o $@ $(CLI_OBJS) $(ENGINE_LIB) -lmbedcrypto -lm

.PHONY: engine engine-arm engine-rv32
engine: $(ENGINE_LIB) $(CLI_BIN)

# --- cross builds (static libs only; sizes reported by bench) ---
CROSS_CFLAGS := -std=c11 -Os -Wall -Wextra -ffp-contract=off -ffunction-sections \
                -fdata-sections $(ENGINE_INC)
ARM_CC := arm-none-eabi-gcc
ARM_AR := arm-none-eabi-ar
ARM_CFLAGS := -mcpu=cortex-m4 -mthumb -mfloat-abi=soft --specs=picolibc.specs $(CROSS_CFLAGS)
RV32_CC := riscv64-unknown-elf-gcc
RV32_AR := riscv64-unknown-elf-ar
RV32_CFLAGS := -march=rv32imc -mabi=ilp32 --specs=picolibc.specs $(CROSS_CFLAGS)

ARM_OBJS := $(patsubst %.c,$(BUILD)/arm/obj/%.o,$(ENGINE_SRCS))
RV32_OBJS := $(patsubst %.c,$(BUILD)/rv32/obj/%.o,$(ENGINE_SRCS))

$(BUILD)/arm/obj/%.o: %.c $(ENGINE_HDRS)
	@mkdir -p $(dir $@)
	$(ARM_CC) $(ARM_CFLAGS) -c $< -o $@

$(BUILD)/rv32/obj/%.o: %.c $(ENGINE_HDRS)
	@mkdir -p $(dir $@)
	$(RV32_CC) $(RV32_CFLAGS) -c $< -o $@

$(BUILD)/arm/libedgepeft.a: $(ARM_OBJS)
	rm -f $@
	$(ARM_AR) rcs $@ $^

$(BUILD)/rv32/libedgepeft.a: $(RV32_OBJS)
	rm -f $@
	$(RV32_AR) rcs $@ $^

engine-arm: $(BUILD)/arm/libedgepeft.a
engine-rv32: $(BUILD)/rv32/libedgepeft.a

ALL_TARGETS += $(ENGINE_LIB) $(CLI_BIN)

# --- warning-free builds as a test (host-tests/engine/warnings.test.ts) ---
# The engine's own sources (reader, kernels, planner, sessions) compiled with -Werror by
# host gcc and clang and by both cross compilers with the engine-arm / engine-rv32 flags.
# Separate object dirs: a clean -Werror compile must not depend on what `make` built.
WARN_SRCS := $(sort $(foreach d,native/model native/kernels native/plan native/engine,$(wildcard $(d)/*.c)))
WARN_HOST_FLAGS := -std=c11 -O2 -Wall -Wextra -Werror -ffp-contract=off $(ENGINE_OPT) $(ENGINE_INC)
WARN_OBJS := $(foreach t,gcc clang arm rv32,$(patsubst %.c,$(BUILD)/warn/$(t)/%.o,$(WARN_SRCS)))

$(BUILD)/warn/gcc/%.o: %.c $(ENGINE_HDRS)
	@mkdir -p $(dir $@)
	gcc $(WARN_HOST_FLAGS) -c $< -o $@
$(BUILD)/warn/clang/%.o: %.c $(ENGINE_HDRS)
	@mkdir -p $(dir $@)
	clang $(filter-out -fvect-cost-model=dynamic,$(WARN_HOST_FLAGS)) -c $< -o $@
$(BUILD)/warn/arm/%.o: %.c $(ENGINE_HDRS)
	@mkdir -p $(dir $@)
	$(ARM_CC) $(ARM_CFLAGS) -Werror -c $< -o $@
$(BUILD)/warn/rv32/%.o: %.c $(ENGINE_HDRS)
	@mkdir -p $(dir $@)
	$(RV32_CC) $(RV32_CFLAGS) -Werror -c $< -o $@

.PHONY: engine-warnings
engine-warnings: $(WARN_OBJS)

# --- audio front end on the boards' ISAs (qemu; built on demand by host-tests/engine/audio-cross.test.ts) ---
AUDIO_CROSS_SRCS := $(ENGINE_SRCS) native/cross/audio_main.c
AUDIO_CROSS_HDRS := $(BUILD)/cross/audio_model.h $(BUILD)/cross/speech_model.h $(BUILD)/cross/yes_wav.h
$(BUILD)/cross/audio_model.h: ../shared/models/audio_preprocessor_int8.tflite native/cross/embed.py
	@mkdir -p $(dir $@)
	python3 native/cross/embed.py $< $@ ept_audio_model
$(BUILD)/cross/speech_model.h: ../shared/models/micro_speech_quantized.tflite native/cross/embed.py
	@mkdir -p $(dir $@)
	python3 native/cross/embed.py $< $@ ept_speech_model
$(BUILD)/cross/yes_wav.h: ../shared/models/inputs/yes_1000ms.wav native/cross/embed.py
	@mkdir -p $(dir $@)
	python3 native/cross/embed.py $< $@ ept_yes_wav
AUDIO_CROSS_FLAGS := -std=c11 -O2 -Wall -Wextra -ffp-contract=off $(ENGINE_INC) -I$(BUILD)/cross \
                     --specs=picolibc.specs --oslib=semihost
$(BUILD)/cross/audio-m4.elf: $(AUDIO_CROSS_SRCS) $(ENGINE_HDRS) $(AUDIO_CROSS_HDRS)
	arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=soft $(AUDIO_CROSS_FLAGS) \
	  -Wl,--defsym=__flash=0x0,--defsym=__flash_size=0x400000,--defsym=__ram=0x20000000,--defsym=__ram_size=0x400000,--defsym=__stack_size=0x800 \
	  -o $@ $(AUDIO_CROSS_SRCS) -lm
$(BUILD)/cross/audio-rv32.elf: $(AUDIO_CROSS_SRCS) $(ENGINE_HDRS) $(AUDIO_CROSS_HDRS)
	riscv64-unknown-elf-gcc -march=rv32imc -mabi=ilp32 $(AUDIO_CROSS_FLAGS) \
	  -Wl,--defsym=__flash=0x80000000,--defsym=__flash_size=0x200000,--defsym=__ram=0x80200000,--defsym=__ram_size=0x400000,--defsym=__stack_size=0x800 \
	  -o $@ $(AUDIO_CROSS_SRCS) -lm
.PHONY: audio-cross
audio-cross: $(BUILD)/cross/audio-m4.elf $(BUILD)/cross/audio-rv32.elf
