// Bench-only native face for bench/dot: the int8 dot product in C and the measured-call wrapper.

/** Sum of a[i] * b[i] over two Int8Arrays of equal length (at most 65536). */
export const dotS8 = native("xs_dot_s8") as (a: Int8Array, b: Int8Array) => number;

/** Calls fn and returns its result; callgrind counts instructions inside this call only. */
export const measure = native("xs_dot_measure") as (fn: () => number) => number;
