# Bare-metal images: XS 13.3 + the app's modules + the engine + the demo data in one image per ISA
# (docs/bare-metal.md). Cortex-M4 within the nRF52840 budget (qemu mps2-an386), rv32imc within
# the ESP32-C3 budget (qemu virt). Included by the top-level Makefile after native/sim/sim.mk.
BARE_OUT := $(BUILD)/bare
BARE_XS_DIR := node_modules/@agoric/xsnap/moddable/xs
BARE_XS_SRCS := $(wildcard $(BARE_XS_DIR)/sources/*.c)
# The simulator's defines (docs/simulator.md), so the same machine layout and checks; the shared
# timer code without its wall-clock mode.
BARE_XS_DEFINES := -DINCLUDE_XSPLATFORM -DXSPLATFORM='"bare_xs.h"' -DmxParse=1 -DmxRun=1 \
	-DmxBoundsCheck=1 -DmxInstrument=1
BARE_XS_INCLUDES := -Inative/bare -Inative/sim -I$(BARE_XS_DIR)/includes -I$(BARE_XS_DIR)/platforms \
	-I$(BARE_XS_DIR)/sources
BARE_XS_CFLAGS := -std=gnu11 -Os -w -ffunction-sections -fdata-sections $(BARE_XS_DEFINES) $(BARE_XS_INCLUDES)
# EPX_MODEL_SHA256: engine sessions get their model's SHA-256 from embed.py's table (engine/bare/resource.c).
BARE_OWN_CFLAGS := -std=c11 -Os -Wall -Wextra -fno-strict-aliasing -Wno-unused-parameter \
	-Wno-missing-field-initializers -ffp-contract=off -ffunction-sections -fdata-sections \
	-DSIM_VIRTUAL_CLOCK_ONLY -DEPX_MODEL_SHA256 $(BARE_XS_DEFINES) $(BARE_XS_INCLUDES) -Inative/include
# Our host: native/bare plus the platform-neutral half of native/sim, and the bindings the agent
# uses (board folders named "bare" hold the bodies that read flash instead of files).
BARE_HOST_SRCS := $(wildcard native/bare/*.c) \
	$(addprefix native/sim/,sim_machine.c sim_load.c sim_timer.c sim_globals.c sim_report.c \
	sim_board.c sim_json.c)
BARE_BINDING_SRCS := native/xs/engine/engine.c native/xs/engine/engine_rt.c \
	native/xs/engine/bare/resource.c native/xs/crc/crc.c native/xs/flash/sim/flash.c \
	native/xs/playback/bare/playback.c
BARE_HEADERS := $(wildcard native/bare/*.h native/sim/*.h native/xs/engine/*.h) \
	$(BARE_XS_DIR)/includes/xs.h $(BARE_XS_DIR)/includes/xsmc.h $(BARE_XS_DIR)/sources/xsAll.h

# The app: the simulator's entry in agent mode on the demo data (targets/sim.ts --agent data/demo),
# same modules and arguments as the desktop run it is compared with.
BARE_ENTRY := build/js/firmware/targets/sim.js
BARE_MODULES := build/js/firmware/targets/sim-agent.js
BARE_DATA := data/demo/digits_mlp_int8.tflite data/demo/user_test.bin data/demo/population_test.bin \
	data/demo/population_replay.bin data/demo/user_stream.epr data/demo/user_stream_labels.bin
BARE_ARGS ?= --agent data/demo

# The build-time compiler of the app's modules (native/bare/tools/bare_xsc.c): the simulator's XS
# build and platform layer on this machine, so its parser and key table are the images' own.
BARE_XSC := $(BUILD)/bin/ept-bare-xsc
ALL_TARGETS += $(BARE_XSC)
BARE_XSC_OBJS := $(SIM_OUT)/native/bare/tools/bare_xsc.o $(SIM_ENGINE_OBJS) \
	$(filter-out $(SIM_OUT)/native/sim/sim_main.o,$(SIM_OWN_OBJS))

$(BARE_XSC): $(BARE_XSC_OBJS) $(SIM_LIBS)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $(BARE_XSC_OBJS) $(SIM_LIBS) $(SIM_LDLIBS)

# $(1): image name, $(2): compiler, $(3): arch flags, $(4): board profile, $(5): linker script,
# $(6): engine library, $(7): arena bytes (the board's arenaBytes)
define BARE_IMAGE
$(1)_DIR := $(BARE_OUT)/$(1)
$(1)_XS_OBJS := $$(patsubst $(BARE_XS_DIR)/sources/%.c,$$($(1)_DIR)/xs/%.o,$(BARE_XS_SRCS))
$(1)_OWN_OBJS := $$(patsubst %.c,$$($(1)_DIR)/%.o,$(BARE_HOST_SRCS) $(BARE_BINDING_SRCS)) $$($(1)_DIR)/gen/natives.o
$(1)_GEN_OBJS := $$(addprefix $$($(1)_DIR)/gen/,bare_app.o bare_model.o bare_data.o bare_board.o bare_table.o)

$$($(1)_DIR)/xs/%.o: $(BARE_XS_DIR)/sources/%.c native/bare/bare_xs.h
	@mkdir -p $$(dir $$@)
	$(2) $(3) $(BARE_XS_CFLAGS) -c $$< -o $$@

$$($(1)_DIR)/%.o: %.c $(BARE_HEADERS)
	@mkdir -p $$(dir $$@)
	$(2) $(3) $(BARE_OWN_CFLAGS) -DEPX_ARENA_BYTES=$(7) -c $$< -o $$@

$$($(1)_DIR)/gen/natives.c: $(BARE_HOST_SRCS) $(BARE_BINDING_SRCS) native/sim/gen-natives.sh
	@mkdir -p $$(dir $$@)
	sh native/sim/gen-natives.sh $(BARE_HOST_SRCS) $(BARE_BINDING_SRCS) > $$@.tmp && mv $$@.tmp $$@

$$($(1)_DIR)/gen/natives.o: $$($(1)_DIR)/gen/natives.c $(BARE_HEADERS)
	$(2) $(3) $(BARE_OWN_CFLAGS) -c $$< -o $$@

# The app's compiled JS must exist (npx tsc -b); the closure is recomputed on every make.
$$($(1)_DIR)/gen/bare_table.c: native/bare/embed.py $(BARE_XSC) $(4) $(BARE_DATA) $$(wildcard $(BARE_ENTRY)) FORCE
	python3 native/bare/embed.py $$($(1)_DIR)/gen --xsc $(BARE_XSC) --root . --entry $(BARE_ENTRY) \
		$$(addprefix --module ,$(BARE_MODULES)) --board $(4) $$(addprefix --data ,$(BARE_DATA)) \
		-- $(BARE_ARGS)
$$($(1)_DIR)/gen/bare_app.c $$($(1)_DIR)/gen/bare_model.c $$($(1)_DIR)/gen/bare_data.c \
	$$($(1)_DIR)/gen/bare_board.c: $$($(1)_DIR)/gen/bare_table.c

$$($(1)_DIR)/gen/%.o: $$($(1)_DIR)/gen/%.c $$($(1)_DIR)/gen/bare_table.c native/bare/bare_files.h
	$(2) $(3) -std=c11 -Os -Inative/bare -c $$< -o $$@

$(BARE_OUT)/$(1).elf: $$($(1)_XS_OBJS) $$($(1)_OWN_OBJS) $$($(1)_GEN_OBJS) $(6) $(5)
	$(2) $(3) --oslib=semihost -T $(5) -Wl,--gc-sections \
		-Wl,-Map=$(BARE_OUT)/$(1).map -o $$@ $$($(1)_OWN_OBJS) $$($(1)_GEN_OBJS) $$($(1)_XS_OBJS) $(6) -lm

# The same image with 4 MB of RAM instead of the board's: runs what does not fit, so the budget
# image's shortfall can be measured (bare-memory: ram-peak against the board's RAM).
$(BARE_OUT)/$(1)-4m.elf: $$($(1)_XS_OBJS) $$($(1)_OWN_OBJS) $$($(1)_GEN_OBJS) $(6) $(5)
	$(2) $(3) --oslib=semihost -T $(5) -Wl,--gc-sections -Wl,--defsym=__ram_size=0x400000 \
		-Wl,-Map=$(BARE_OUT)/$(1)-4m.map -o $$@ $$($(1)_OWN_OBJS) $$($(1)_GEN_OBJS) $$($(1)_XS_OBJS) $(6) -lm
endef

# The desktop simulator runs the demo on the board profile with the XS creation block of
# boards/esp32.json (it parses the modules at run time on x86-64: key names and function bodies
# in its chunk heap, 32-byte slots), the budget the demo is tested in (tools/demo/run.ts).
$(BARE_OUT)/%-agent.json: boards/%.json boards/esp32.json
	@mkdir -p $(dir $@)
	python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); b["creation"]=json.load(open(sys.argv[2]))["creation"]; b["name"]+="-agent"; json.dump(b,open(sys.argv[3],"w"),indent=2)' $< boards/esp32.json $@

# The image's own profile: the same file with the board's own XS creation block, the slot heap
# and the XS stack raised to what the agent measurably needs with bytecode in flash (fewer stop
# it: 3,840 slots runs out, the board's 384-slot stack overflows; docs/bare-metal.md). The
# built-ins' 3,847 slots and ~10 KB of chunks are added at boot on top (simMeasureBaseline), as
# the app's budget is the board's. Only the creation block differs from %-agent.json: the app
# prints neither it nor the file's path, so the desktop run on %-agent.json is the oracle.
BARE_AGENT_SLOTS := 4096
BARE_AGENT_STACK := 512
$(BARE_OUT)/%-image.json: $(BARE_OUT)/%-agent.json boards/%.json native/bare/bare.mk
	python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); c=json.load(open(sys.argv[2]))["creation"]; c["heap"]["initial"]=max(c["heap"]["initial"],int(sys.argv[4])); c["stack"]=max(c["stack"],int(sys.argv[5])); b["creation"]=c; json.dump(b,open(sys.argv[3],"w"),indent=2)' $< boards/$*.json $@ $(BARE_AGENT_SLOTS) $(BARE_AGENT_STACK)

.PHONY: FORCE bare
FORCE:

$(eval $(call BARE_IMAGE,edge-peft-bare-m4,arm-none-eabi-gcc,-mcpu=cortex-m4 -mthumb -mfloat-abi=soft --specs=picolibc.specs,$(BARE_OUT)/nrf52840-image.json,native/bare/nrf52840.ld,$(BUILD)/arm/libedgepeft.a,32768))
$(eval $(call BARE_IMAGE,edge-peft-bare-rv32,riscv64-unknown-elf-gcc,-march=rv32imc -mabi=ilp32 --specs=picolibc.specs,$(BARE_OUT)/esp32c3-image.json,native/bare/esp32c3.ld,$(BUILD)/rv32/libedgepeft.a,49152))

BARE_ELFS := $(foreach i,edge-peft-bare-m4 edge-peft-bare-rv32,$(BARE_OUT)/$(i).elf $(BARE_OUT)/$(i)-4m.elf)
# the desktop oracle's board files are kept (make deletes intermediates of a pattern chain)
BARE_AGENT_BOARDS := $(BARE_OUT)/nrf52840-agent.json $(BARE_OUT)/esp32c3-agent.json
.SECONDARY: $(BARE_AGENT_BOARDS)
bare: $(BARE_ELFS) $(BARE_AGENT_BOARDS)
