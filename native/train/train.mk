# native/train/train.mk - trainer room: cross-target determinism images and their host twin.
# The trainer's sources join build/host/libedgepeft.a through native/engine.mk's wildcards.

TRAIN_FIXTURE := ../shared/models/micro_speech_quantized.tflite
# person_detect: LoRA on its last two pointwise (1x1) convs, through the global average pool
TRAIN_FIXTURE_CONV := ../shared/models/person_detect.tflite
CROSS_OUT := $(BUILD)/cross
CROSS_IMG_SRCS := $(ENGINE_SRCS) native/cross/cross_main.c
CROSS_IMG_FLAGS := -std=c11 -O2 -Wall -Wextra -ffp-contract=off $(ENGINE_INC) \
                   -I$(CROSS_OUT) --specs=picolibc.specs --oslib=semihost -DEPT_CROSS_TARGET
CROSS_STACK := --defsym=__stack_size=0x800

$(CROSS_OUT)/fixture_model.h: $(TRAIN_FIXTURE) native/cross/embed.py
	@mkdir -p $(dir $@)
	python3 native/cross/embed.py $< $@

$(CROSS_OUT)/conv_model.h: $(TRAIN_FIXTURE_CONV) native/cross/embed.py
	@mkdir -p $(dir $@)
	python3 native/cross/embed.py $< $@ ept_conv_model

$(CROSS_OUT)/ept-cross-m4.elf: $(CROSS_IMG_SRCS) $(ENGINE_HDRS) $(CROSS_OUT)/fixture_model.h $(CROSS_OUT)/conv_model.h
	arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=soft $(CROSS_IMG_FLAGS) \
	  -Wl,--defsym=__flash=0x0,--defsym=__flash_size=0x400000,--defsym=__ram=0x20000000,--defsym=__ram_size=0x400000,$(CROSS_STACK) \
	  -Wl,-Map=$(CROSS_OUT)/ept-cross-m4.map -o $@ $(CROSS_IMG_SRCS) -lm

$(CROSS_OUT)/ept-cross-rv32.elf: $(CROSS_IMG_SRCS) $(ENGINE_HDRS) $(CROSS_OUT)/fixture_model.h $(CROSS_OUT)/conv_model.h
	riscv64-unknown-elf-gcc -march=rv32imc -mabi=ilp32 $(CROSS_IMG_FLAGS) \
	  -Wl,--defsym=__flash=0x80000000,--defsym=__flash_size=0x200000,--defsym=__ram=0x80200000,--defsym=__ram_size=0x400000,$(CROSS_STACK) \
	  -Wl,-Map=$(CROSS_OUT)/ept-cross-rv32.map -o $@ $(CROSS_IMG_SRCS) -lm

$(BUILD)/bin/ept-cross-host: native/cross/cross_main.c $(ENGINE_LIB) $(CROSS_OUT)/fixture_model.h $(CROSS_OUT)/conv_model.h
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(ENGINE_INC) -I$(CROSS_OUT) -o $@ $< $(ENGINE_LIB) -lm

$(BUILD)/bin/ept-state-check: native/cross/state_check.c $(ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(ENGINE_INC) -o $@ $< $(ENGINE_LIB) -lm

# DP noise sampler debug driver (host only): raw Q16 samples for host-tests/train/gauss.test.ts
$(BUILD)/bin/ept-gauss-dump: tools/gauss/gauss_dump.c $(ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(ENGINE_INC) -Inative/train -o $@ $< $(ENGINE_LIB) -lm

.PHONY: train-cross
train-cross: $(BUILD)/bin/ept-cross-host $(CROSS_OUT)/ept-cross-m4.elf $(CROSS_OUT)/ept-cross-rv32.elf

ALL_TARGETS += $(BUILD)/bin/ept-state-check $(BUILD)/bin/ept-gauss-dump $(BUILD)/bin/ept-cross-host $(CROSS_OUT)/ept-cross-m4.elf $(CROSS_OUT)/ept-cross-rv32.elf
