/* Tables the simulator looks native("...") and Native("...") names up in (generated into
 * build/sim/natives.c by gen-natives.sh). Entries are stored as generic function pointers and
 * cast back to XS's callback / destructor types where they are used. */
#ifndef EDGE_PEFT_SIM_NATIVES_H
#define EDGE_PEFT_SIM_NATIVES_H

typedef void (*SimCallback)(void* the);
typedef void (*SimDestructor)(void* data);

typedef struct {
	const char* name;
	SimCallback callback;
} SimNativeEntry;

typedef struct {
	const char* name;
	SimDestructor destructor;
} SimDestructorEntry;

extern const SimNativeEntry simNatives[];          /* ends with { NULL, NULL } */
extern const SimDestructorEntry simDestructors[];

#endif
