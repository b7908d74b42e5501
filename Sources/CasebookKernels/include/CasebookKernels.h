#ifndef CASEBOOK_KERNELS_H
#define CASEBOOK_KERNELS_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

/// True when this CPU runs the AVX2 + FMA scan kernels (checked once, at run time).
bool cb_scan_avx2_available(void);

/// out[i] = dot(query, rows + i * d) for i in [0, n). Requires cb_scan_avx2_available().
void cb_scan_dot_avx2(const float *query, const float *rows, size_t n, size_t d, float *out);

/// out[i] = -|query - (rows + i * d)|^2 for i in [0, n). Requires cb_scan_avx2_available().
void cb_scan_negative_l2_avx2(const float *query, const float *rows, size_t n, size_t d, float *out);

/// Asks the CPU to start loading `bytes` bytes at `p` into cache (one hint per 64-byte line); a
/// hint only, on every CPU.
void cb_prefetch(const void *p, size_t bytes);

/// Sum of n floats, read once: the streaming-read floor benchmarks compare the scan with.
/// Requires cb_scan_avx2_available().
float cb_stream_sum_avx2(const float *values, size_t n);

/// The c in [0, k) minimising bias[c] + scale * dots[c] (the smallest c on ties), its score in
/// *value; multiply then add, no FMA. Requires cb_scan_avx2_available().
int32_t cb_argmin_affine_avx2(const float *dots, const float *bias, float scale, size_t k, float *value);

/// halves[i] = values[i] in half precision; false when a value is outside half's finite range
/// (or NaN), so the copy cannot stand in for the floats.
bool cb_to_half(const float *values, size_t n, uint16_t *halves);

/// True when this CPU runs cb_scan_dot_half_avx2 (AVX2, FMA and F16C; checked at run time).
bool cb_half_avx2_available(void);

/// out[i] = dot(query, rows + i * d) for half-precision rows. Requires cb_half_avx2_available().
/// Prefetches a few rows past row n - 1 (a prefetch never faults): callers may prefetch the next
/// list's first rows themselves.
void cb_scan_dot_half_avx2(const float *query, const uint16_t *rows, size_t n, size_t d, float *out);

/// Codes x (d values) as int8 with one scale s = max|x_j| / 127: codes[j] = round(x_j / s) in
/// [-127, 127]. Returns s; *norm = ||x|| and *error = ||x - s * codes|| (both computed in
/// double). Runs on every CPU.
float cb_quantize_i8(const float *x, size_t d, int8_t *codes, double *norm, double *error);

/// True when cb_scan_dot_i8 runs an AVX2 kernel (checked at run time).
bool cb_i8_avx2_available(void);

/// out[i] = (float)dot(query, rows + i * d) * query_scale * row_scales[i] over int8 codes (the
/// integer dot product is exact); query_abs[j] = |query[j]|. Codes must lie in [-127, 127].
void cb_scan_dot_i8(
    const int8_t *query, const uint8_t *query_abs, float query_scale, const int8_t *rows, const float *row_scales,
    size_t n, size_t d, float *out);

/// cb_scan_dot_i8 with a chosen kernel: 0 portable, 1 AVX2, 2 AVX-512 VNNI (tests compare them).
/// False, writing nothing, when this CPU cannot run it.
bool cb_scan_dot_i8_kernel(
    int kernel, const int8_t *query, const uint8_t *query_abs, float query_scale, const int8_t *rows,
    const float *row_scales, size_t n, size_t d, float *out);

#endif
