/* TFLite Micro's operator list and kernel sources (tflm_kernels.c), for `edge-peft plan`'s
 * hints on missing operators and `edge-peft ops`. */
#ifndef EP_CLI_TFLM_KERNELS_H
#define EP_CLI_TFLM_KERNELS_H

#include <stdio.h>

typedef struct {
    const char *name;   /* builtin name (schema) or Signal custom code */
    int signal;         /* 1: custom operator from signal/micro/kernels/ */
    const char *file;   /* kernel source file name */
} cli_tflm_kernel;

const cli_tflm_kernel *cli_tflm_kernels(size_t *count);
/* Path of the kernel for the operator named by name[0..n), into buf; NULL if TFLM has none. */
const char *cli_tflm_kernel_path(const char *name, size_t n, char *buf, size_t buf_size);

#endif
