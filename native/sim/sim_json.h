/* Just enough JSON to read a board profile: look a value up by a dotted path of object keys. */
#ifndef EDGE_PEFT_SIM_JSON_H
#define EDGE_PEFT_SIM_JSON_H
#include <stdbool.h>
#include <stddef.h>

/* Returns the start of the value at `path` ("creation.chunk.initial") or NULL; NULL also when
 * the text is not well-formed along the way. */
const char* simJsonFind(const char* text, const char* path);
/* Reads an integer value (no fraction/exponent) into *value; false if absent or not one. */
bool simJsonInteger(const char* text, const char* path, long* value);
/* Copies a string value (no escapes) into buffer; false if absent, escaped or too long. */
bool simJsonString(const char* text, const char* path, char* buffer, size_t size);

#endif
