# Desktop simulator: XS 13.3 engine + our platform layer (native/sim) + xsmc bindings (native/xs)
# [+ engine library]. Included by the top-level Makefile; per-file objects under build/sim/.
SIM_XS_DIR := node_modules/@agoric/xsnap/moddable/xs
SIM_OUT := $(BUILD)/sim
SIM_BIN := $(BUILD)/bin/edge-peft-sim
SIM_ENGINE_LIB := $(BUILD)/host/libedgepeft.a

# Same platform header and defines for every file that sees xs.h (xs.h embeds the platform struct).
SIM_XS_DEFINES := -DINCLUDE_XSPLATFORM -DXSPLATFORM='"sim_xs.h"' -DmxParse=1 -DmxRun=1 \
	-DmxBoundsCheck=1 -DmxInstrument=1
SIM_XS_INCLUDES := -Inative/sim -I$(SIM_XS_DIR)/includes -I$(SIM_XS_DIR)/platforms \
	-I$(SIM_XS_DIR)/sources
# The engine compiles as it is: its own warning level, not ours.
SIM_ENGINE_CFLAGS := -std=gnu11 -O2 -fno-common -w $(SIM_XS_DEFINES) $(SIM_XS_INCLUDES)
# -fno-strict-aliasing: xs.h's slot macros type-pun; our code stays C11 + HOST_CFLAGS warnings.
# EPX_MODEL_SHA256: engine sessions get their model's SHA-256 from engine/sim/resource.c (mbedTLS).
SIM_HOST_CFLAGS := $(HOST_CFLAGS) -D_DEFAULT_SOURCE -fno-strict-aliasing -Wno-unused-parameter \
	-Wno-missing-field-initializers -DEPX_MODEL_SHA256 $(SIM_XS_DEFINES) $(SIM_XS_INCLUDES)

SIM_ENGINE_SRCS := $(wildcard $(SIM_XS_DIR)/sources/*.c)
SIM_ENGINE_OBJS := $(patsubst $(SIM_XS_DIR)/sources/%.c,$(SIM_OUT)/xs/%.o,$(SIM_ENGINE_SRCS))
SIM_HOST_SRCS := $(wildcard native/sim/*.c)
# Board-specific bodies live in platform subfolders (Moddable style); the simulator takes the rest.
# (find prunes them: a make filter pattern has only one wildcard, so %/bare/% would match nothing)
SIM_BINDING_SRCS := $(shell find native/xs \( -name esp32 -o -name nrf52 -o -name lin -o -name mac -o -name win -o -name bare \) \
	-prune -o -name '*.c' -print 2>/dev/null)
SIM_OWN_OBJS := $(patsubst %.c,$(SIM_OUT)/%.o,$(SIM_HOST_SRCS) $(SIM_BINDING_SRCS)) \
	$(SIM_OUT)/natives.o
SIM_HEADERS := native/sim/sim_xs.h $(wildcard native/sim/*.h) $(SIM_XS_DIR)/includes/xs.h \
	$(SIM_XS_DIR)/includes/xsmc.h $(SIM_XS_DIR)/sources/xsAll.h $(SIM_XS_DIR)/sources/xsCommon.h

# Link the engine library when the engine room builds it (same make run) or it already exists.
ifneq ($(filter $(SIM_ENGINE_LIB),$(ALL_TARGETS)),)
SIM_LIBS := $(SIM_ENGINE_LIB)
else
SIM_LIBS := $(wildcard $(SIM_ENGINE_LIB))
endif

ALL_TARGETS += $(SIM_BIN)

# native/xs/crypto binds mbedTLS 2.28 (Debian libmbedtls-dev, setup.sh): SHA-256 and ECDSA P-256.
SIM_LDLIBS := -lmbedcrypto -lmosquitto -lm -lpthread

$(SIM_BIN): $(SIM_ENGINE_OBJS) $(SIM_OWN_OBJS) $(SIM_LIBS)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $(SIM_ENGINE_OBJS) $(SIM_OWN_OBJS) $(SIM_LIBS) $(SIM_LDLIBS)

$(SIM_OUT)/xs/%.o: $(SIM_XS_DIR)/sources/%.c native/sim/sim_xs.h
	@mkdir -p $(dir $@)
	$(CC) $(SIM_ENGINE_CFLAGS) -c $< -o $@

# -MMD: bindings include engine/trainer headers too; a changed struct must rebuild them.
$(SIM_OUT)/%.o: %.c $(SIM_HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(SIM_HOST_CFLAGS) -MMD -MP -c $< -o $@

-include $(SIM_OWN_OBJS:.o=.d)

# Table of every xs_* host function and destructor, so native("xs_x") / Native("xs_x_destructor")
# find new bindings without editing the simulator.
$(SIM_OUT)/natives.c: $(SIM_HOST_SRCS) $(SIM_BINDING_SRCS) native/sim/gen-natives.sh
	@mkdir -p $(dir $@)
	sh native/sim/gen-natives.sh $(SIM_HOST_SRCS) $(SIM_BINDING_SRCS) > $@.tmp && mv $@.tmp $@

$(SIM_OUT)/natives.o: $(SIM_OUT)/natives.c $(SIM_HEADERS)
	$(CC) $(SIM_HOST_CFLAGS) -c $< -o $@
