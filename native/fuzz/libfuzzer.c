/* libFuzzer entry: the reader, plan, session init and one invoke on arbitrary bytes.
 * Built by `make fuzz-libfuzzer` (clang -fsanitize=fuzzer,address,undefined); see
 * docs/testing.md for the short CI run and the long run with the fixture-model corpus. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)fuzz_run(data, size, 1);
    return 0;
}
