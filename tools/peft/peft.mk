# tools/peft/peft.mk - PEFT method check / cost driver (host only; tests and bench/peft).
$(BUILD)/bin/ept-peft-check: tools/peft/peft_check.c $(ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(ENGINE_INC) -o $@ $< $(ENGINE_LIB) -lm

ALL_TARGETS += $(BUILD)/bin/ept-peft-check
