# bench/bare: the Cortex-M4 instruction-count image (count_main.c) over the same engine library
# the bare-metal image links (build/arm/libedgepeft.a), with the demo model and data embedded.
# Built by `make bare-bench`; bench/bare/index.ts builds and runs it (docs/bare-metal.md).
BARE_BENCH_OUT := $(BUILD)/bench-bare

$(BARE_BENCH_OUT)/demo_model.h: data/demo/digits_mlp_int8.tflite native/cross/embed.py
	@mkdir -p $(dir $@)
	python3 native/cross/embed.py $< $@ demo_model
$(BARE_BENCH_OUT)/demo_user_test.h: data/demo/user_test.bin native/cross/embed.py
	@mkdir -p $(dir $@)
	python3 native/cross/embed.py $< $@ demo_user_test
$(BARE_BENCH_OUT)/demo_replay.h: data/demo/population_replay.bin native/cross/embed.py
	@mkdir -p $(dir $@)
	python3 native/cross/embed.py $< $@ demo_replay

$(BARE_BENCH_OUT)/count-m4.elf: bench/bare/count_main.c $(BUILD)/arm/libedgepeft.a $(ENGINE_HDRS) \
		$(addprefix $(BARE_BENCH_OUT)/,demo_model.h demo_user_test.h demo_replay.h)
	arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=soft --specs=picolibc.specs --oslib=semihost \
	  -std=c11 -Os -Wall -Wextra -ffp-contract=off $(ENGINE_INC) -I$(BARE_BENCH_OUT) \
	  -Wl,--defsym=__flash=0x0,--defsym=__flash_size=0x400000,--defsym=__ram=0x20000000,--defsym=__ram_size=0x400000 \
	  -o $@ $< $(BUILD)/arm/libedgepeft.a -lm

.PHONY: bare-bench
bare-bench: $(BARE_BENCH_OUT)/count-m4.elf
