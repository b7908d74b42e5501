// Single-query scan kernels with AVX2 + FMA, compiled for those instructions function by
// function (target attributes), so the package needs no global -march flag and still runs on
// CPUs without them: Swift calls these only when cb_scan_avx2_available() says so, and uses its
// portable SIMD kernel otherwise.
//
// Why C: Swift has no per-function target features, and without FMA/AVX a row of 384 floats
// costs about 200 SSE instructions, enough to make the scan compute-bound when the sibling
// hyperthread is busy. With 8-wide FMA the scan stays at the memory-streaming floor.
#include "CasebookKernels.h"

void cb_prefetch(const void *p, size_t bytes) {
    const char *start = (const char *)p;
    for (size_t offset = 0; offset < bytes; offset += 64) __builtin_prefetch(start + offset, 0, 3);
    // The last line, when the range does not start on a line boundary.
    if (bytes > 0) __builtin_prefetch(start + bytes - 1, 0, 3);
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include "avx2_sum.h"

// Rows ahead that a scan prefetches: an IVF list is a few hundred rows, too short for the
// hardware prefetcher to reach full speed (see half_avx2.c for the measurement).
enum { SCAN_PREFETCH_ROWS = 4 };

// The two 64-byte lines of 32 floats, a few rows ahead (a prefetch past the rows never faults).
__attribute__((target("avx2,fma")))
static inline void prefetch_ahead(const float *p) {
    _mm_prefetch((const char *)p, _MM_HINT_T0);
    _mm_prefetch((const char *)(p + 16), _MM_HINT_T0);
}

bool cb_scan_avx2_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

__attribute__((target("avx2,fma")))
void cb_scan_dot_avx2(const float *query, const float *rows, size_t n, size_t d, float *out) {
    const size_t end = d & ~(size_t)31;
    // One row (re-scoring a candidate) has nothing ahead worth fetching: point at itself.
    const size_t ahead = n > 1 ? SCAN_PREFETCH_ROWS * d : 0;
    for (size_t r = 0; r < n; r++) {
        const float *p = rows + r * d;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        size_t j = 0;
        for (; j < end; j += 32) {
            prefetch_ahead(p + ahead + j);
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(p + j), _mm256_loadu_ps(query + j), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(p + j + 8), _mm256_loadu_ps(query + j + 8), a1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(p + j + 16), _mm256_loadu_ps(query + j + 16), a2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(p + j + 24), _mm256_loadu_ps(query + j + 24), a3);
        }
        float s = cb_horizontal_sum(a0, a1, a2, a3);
        for (; j < d; j++) s += p[j] * query[j];
        out[r] = s;
    }
}

__attribute__((target("avx2,fma")))
void cb_scan_negative_l2_avx2(const float *query, const float *rows, size_t n, size_t d, float *out) {
    const size_t end = d & ~(size_t)31;
    // One row (re-scoring a candidate) has nothing ahead worth fetching: point at itself.
    const size_t ahead = n > 1 ? SCAN_PREFETCH_ROWS * d : 0;
    for (size_t r = 0; r < n; r++) {
        const float *p = rows + r * d;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        size_t j = 0;
        for (; j < end; j += 32) {
            prefetch_ahead(p + ahead + j);
            __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(p + j), _mm256_loadu_ps(query + j));
            __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(p + j + 8), _mm256_loadu_ps(query + j + 8));
            __m256 d2 = _mm256_sub_ps(_mm256_loadu_ps(p + j + 16), _mm256_loadu_ps(query + j + 16));
            __m256 d3 = _mm256_sub_ps(_mm256_loadu_ps(p + j + 24), _mm256_loadu_ps(query + j + 24));
            a0 = _mm256_fmadd_ps(d0, d0, a0);
            a1 = _mm256_fmadd_ps(d1, d1, a1);
            a2 = _mm256_fmadd_ps(d2, d2, a2);
            a3 = _mm256_fmadd_ps(d3, d3, a3);
        }
        float s = cb_horizontal_sum(a0, a1, a2, a3);
        for (; j < d; j++) {
            float diff = p[j] - query[j];
            s += diff * diff;
        }
        out[r] = -s;
    }
}

__attribute__((target("avx2,fma")))
float cb_stream_sum_avx2(const float *values, size_t n) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    size_t j = 0;
    for (; j + 32 <= n; j += 32) {
        a0 = _mm256_add_ps(a0, _mm256_loadu_ps(values + j));
        a1 = _mm256_add_ps(a1, _mm256_loadu_ps(values + j + 8));
        a2 = _mm256_add_ps(a2, _mm256_loadu_ps(values + j + 16));
        a3 = _mm256_add_ps(a3, _mm256_loadu_ps(values + j + 24));
    }
    float s = cb_horizontal_sum(a0, a1, a2, a3);
    for (; j < n; j++) s += values[j];
    return s;
}

#else

bool cb_scan_avx2_available(void) { return false; }
float cb_stream_sum_avx2(const float *values, size_t n) { (void)values; (void)n; return 0; }
void cb_scan_dot_avx2(const float *query, const float *rows, size_t n, size_t d, float *out) {
    (void)query; (void)rows; (void)n; (void)d; (void)out;
}
void cb_scan_negative_l2_avx2(const float *query, const float *rows, size_t n, size_t d, float *out) {
    (void)query; (void)rows; (void)n; (void)d; (void)out;
}

#endif
