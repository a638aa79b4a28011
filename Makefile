# Top-level native build. Each room owns its fragment; outputs go to build/.
# Fragments add their targets to ALL_TARGETS.
CC ?= gcc
BUILD := build
HOST_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror=implicit-function-declaration -ffp-contract=off -Inative/include
ALL_TARGETS :=

-include native/engine.mk
-include native/train/train.mk
-include native/sim/sim.mk
-include native/bare/bare.mk
-include bench/bare/bare-bench.mk
-include bench/bench.mk
-include native/fuzz/fuzz.mk
-include tools/peft/peft.mk

.PHONY: all clean
all: $(ALL_TARGETS)

clean:
	rm -rf $(BUILD)
