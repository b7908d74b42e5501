// Half-precision copies of IVF list rows. An IVF query's list scan is bound by memory (the lists
// live in DRAM); in half precision the rows take half the bytes and are converted back to float32
// in registers (F16C) before the same fused multiply-adds. HalfScan re-scores in float32 every row
// the half scores' error bound cannot rule out.
#include "CasebookKernels.h"

static bool to_half_portable(const float *values, size_t n, uint16_t *halves) {
    bool in_range = true;
    for (size_t i = 0; i < n; i++) {
        if (!(values[i] <= 65504.0f && values[i] >= -65504.0f)) in_range = false;
        _Float16 h = (_Float16)values[i];
        __builtin_memcpy(&halves[i], &h, sizeof h);
    }
    return in_range;
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include "avx2_sum.h"

// Rows ahead that the scan prefetches. An IVF list is a few hundred rows, too short for the
// hardware prefetcher to reach full speed: 200k x 384, nprobe 4, one core, measured 8.7k QPS
// without, 12.2k with 4 rows ahead, the same with 8.
enum { HALF_PREFETCH_ROWS = 4 };

bool cb_half_avx2_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}

// 8 floats at a time with F16C (the software conversion dominated building IVF lists).
__attribute__((target("avx2,fma,f16c")))
static bool to_half_f16c(const float *values, size_t n, uint16_t *halves) {
    const __m256 limit = _mm256_set1_ps(65504.0f);
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 outside = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(values + i);
        // |v| > limit, or NaN (unordered): the copy cannot stand in for the value.
        outside = _mm256_or_ps(outside, _mm256_cmp_ps(_mm256_andnot_ps(sign, v), limit, _CMP_NLE_UQ));
        _mm_storeu_si128((__m128i *)(halves + i), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
    }
    bool in_range = _mm256_movemask_ps(outside) == 0;
    return to_half_portable(values + i, n - i, halves + i) && in_range;
}

bool cb_to_half(const float *values, size_t n, uint16_t *halves) {
    static int f16c = -1;
    if (f16c < 0) f16c = cb_half_avx2_available();
    return f16c ? to_half_f16c(values, n, halves) : to_half_portable(values, n, halves);
}

__attribute__((target("avx2,fma,f16c")))
static inline __m256 load_half8(const uint16_t *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

__attribute__((target("avx2,fma,f16c")))
void cb_scan_dot_half_avx2(const float *query, const uint16_t *rows, size_t n, size_t d, float *out) {
    const size_t end = d & ~(size_t)31;
    const size_t ahead = HALF_PREFETCH_ROWS * d;
    for (size_t r = 0; r < n; r++) {
        const uint16_t *p = rows + r * d;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        size_t j = 0;
        for (; j < end; j += 32) {
            // One 64-byte line per step: fetch the same line of a row a few rows ahead, so the
            // list streams from DRAM while this row is scored (a list starts cold).
            _mm_prefetch((const char *)(p + ahead + j), _MM_HINT_T0);
            a0 = _mm256_fmadd_ps(load_half8(p + j), _mm256_loadu_ps(query + j), a0);
            a1 = _mm256_fmadd_ps(load_half8(p + j + 8), _mm256_loadu_ps(query + j + 8), a1);
            a2 = _mm256_fmadd_ps(load_half8(p + j + 16), _mm256_loadu_ps(query + j + 16), a2);
            a3 = _mm256_fmadd_ps(load_half8(p + j + 24), _mm256_loadu_ps(query + j + 24), a3);
        }
        float s = cb_horizontal_sum(a0, a1, a2, a3);
        for (; j < d; j++) {
            _Float16 v;
            __builtin_memcpy(&v, p + j, sizeof v);
            s += (float)v * query[j];
        }
        out[r] = s;
    }
}

#else
bool cb_half_avx2_available(void) { return false; }
bool cb_to_half(const float *values, size_t n, uint16_t *halves) { return to_half_portable(values, n, halves); }
void cb_scan_dot_half_avx2(const float *query, const uint16_t *rows, size_t n, size_t d, float *out) {
    (void)query; (void)rows; (void)n; (void)d; (void)out;
}
#endif
