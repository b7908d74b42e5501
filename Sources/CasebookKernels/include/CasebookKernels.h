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

/// Sum of n floats, read once: the streaming-read floor benchmarks compare the scan with.
/// Requires cb_scan_avx2_available().
float cb_stream_sum_avx2(const float *values, size_t n);

/// The c in [0, k) minimising bias[c] + scale * dots[c] (the smallest c on ties), its score in
/// *value; multiply then add, no FMA. Requires cb_scan_avx2_available().
int32_t cb_argmin_affine_avx2(const float *dots, const float *bias, float scale, size_t k, float *value);

/// halves[i] = values[i] in IEEE half precision (round to nearest even), rounded[i] = that
/// half back in float32. Runs on every CPU.
void cb_round_to_half(const float *values, size_t n, uint16_t *halves, float *rounded);

/// halves[i] = values[i] in half precision; false when a value is outside half's finite range
/// (or NaN), so the copy cannot stand in for the floats.
bool cb_to_half(const float *values, size_t n, uint16_t *halves);

/// True when this CPU runs cb_scan_dot_half_avx2 (AVX2, FMA and F16C; checked at run time).
bool cb_half_avx2_available(void);

/// out[i] = dot(query, rows + i * d) for half-precision rows. Requires cb_half_avx2_available().
void cb_scan_dot_half_avx2(const float *query, const uint16_t *rows, size_t n, size_t d, float *out);

#endif
