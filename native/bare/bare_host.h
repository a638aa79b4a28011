/* Bare-metal host functions shared between its files (native/bare). */
#ifndef EDGE_PEFT_BARE_HOST_H
#define EDGE_PEFT_BARE_HOST_H

/* bare_modules.c: the keys of the app's bytecode, made right after the machine (stops on a
 * mismatch) */
void bareMakeAppKeys(void* the);

#endif
