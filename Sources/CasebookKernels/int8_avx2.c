// Int8 codes of the IVF centroids. Ranking every centroid is the fixed cost of an IVF query; from
// half-precision copies it was bound by the float conversions (one per 8 values), in float32 by
// reading 1.5 MiB from L3 per query (1,024 x 384). One byte per value with an integer dot product
// reads a quarter of the bytes in a few instructions per 32 values. The scores are approximate;
// CodedCentroids bounds their error and the quantizer re-scores in float32 every centroid the
// bound cannot rule out.
//
// A row x is coded symmetrically with one scale per row: s = max|x_j| / 127, code_j =
// round(x_j / s) in [-127, 127]. The query is coded the same way. Keeping codes off -128 lets
// the dot product run as |q| (unsigned) times sign(q)·x (signed) in _mm256_maddubs_epi16 without
// saturating: each pair sums to at most 2 * 127 * 127 = 32,258 < 32,767.
#include "CasebookKernels.h"
#include <math.h>

static float quantize_i8_portable(const float *x, size_t d, int8_t *codes, double *norm, double *error) {
    float largest = 0;
    for (size_t j = 0; j < d; j++) largest = fmaxf(largest, fabsf(x[j]));
    float scale = largest / 127.0f;
    double squared = 0, length = 0;
    for (size_t j = 0; j < d; j++) {
        length += (double)x[j] * (double)x[j];
        float code = scale > 0 ? nearbyintf(x[j] / scale) : 0;
        code = fminf(127.0f, fmaxf(-127.0f, code));
        codes[j] = (int8_t)code;
        // The residual against what the kernel multiplies: the float scale times the code.
        double residual = (double)x[j] - (double)scale * (double)code;
        squared += residual * residual;
    }
    *norm = sqrt(length);
    *error = sqrt(squared);
    return scale;
}

static void scan_dot_i8_portable(
    const int8_t *query, float query_scale, const int8_t *rows, const float *row_scales, size_t n, size_t d,
    float *out) {
    for (size_t r = 0; r < n; r++) {
        const int8_t *p = rows + r * d;
        int32_t sum = 0;
        for (size_t j = 0; j < d; j++) sum += (int32_t)query[j] * (int32_t)p[j];
        out[r] = (float)sum * query_scale * row_scales[r];
    }
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

bool cb_i8_avx2_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}

// The same codes as the portable coder (x / s rounded to nearest even, as nearbyintf in the
// default rounding mode, then clamped), 8 values at a time; norm and residual still in double.
// Flat slabs code every row as a database opens, where the portable loop cost more than reading.
__attribute__((target("avx2,fma")))
static float quantize_i8_avx2(const float *x, size_t d, int8_t *codes, double *norm, double *error) {
    const __m256 sign_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 largest8 = _mm256_setzero_ps();
    size_t j = 0;
    for (; j + 8 <= d; j += 8) largest8 = _mm256_max_ps(largest8, _mm256_and_ps(_mm256_loadu_ps(x + j), sign_mask));
    float lanes[8];
    _mm256_storeu_ps(lanes, largest8);
    float largest = 0;
    for (int i = 0; i < 8; i++) largest = fmaxf(largest, lanes[i]);
    for (; j < d; j++) largest = fmaxf(largest, fabsf(x[j]));
    float scale = largest / 127.0f;
    if (!(scale > 0)) return quantize_i8_portable(x, d, codes, norm, error);
    const __m256 scale8 = _mm256_set1_ps(scale), high = _mm256_set1_ps(127.0f), low = _mm256_set1_ps(-127.0f);
    const __m256d scale4 = _mm256_set1_pd((double)scale);
    __m256d length4 = _mm256_setzero_pd(), squared4 = _mm256_setzero_pd();
    int32_t integers[8];
    for (j = 0; j + 8 <= d; j += 8) {
        __m256 v = _mm256_loadu_ps(x + j);
        __m256 code = _mm256_round_ps(_mm256_div_ps(v, scale8), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        code = _mm256_min_ps(high, _mm256_max_ps(low, code));
        _mm256_storeu_si256((__m256i *)integers, _mm256_cvtps_epi32(code));
        for (int i = 0; i < 8; i++) codes[j + i] = (int8_t)integers[i];
        for (int half = 0; half < 2; half++) {
            __m128 vh = half ? _mm256_extractf128_ps(v, 1) : _mm256_castps256_ps128(v);
            __m128 ch = half ? _mm256_extractf128_ps(code, 1) : _mm256_castps256_ps128(code);
            __m256d xd = _mm256_cvtps_pd(vh), cd = _mm256_cvtps_pd(ch);
            __m256d residual = _mm256_sub_pd(xd, _mm256_mul_pd(scale4, cd));
            length4 = _mm256_add_pd(length4, _mm256_mul_pd(xd, xd));
            squared4 = _mm256_add_pd(squared4, _mm256_mul_pd(residual, residual));
        }
    }
    double sums[4], residuals[4];
    _mm256_storeu_pd(sums, length4);
    _mm256_storeu_pd(residuals, squared4);
    double length = sums[0] + sums[1] + sums[2] + sums[3];
    double squared = residuals[0] + residuals[1] + residuals[2] + residuals[3];
    for (; j < d; j++) {
        length += (double)x[j] * (double)x[j];
        float code = fminf(127.0f, fmaxf(-127.0f, nearbyintf(x[j] / scale)));
        codes[j] = (int8_t)code;
        double residual = (double)x[j] - (double)scale * (double)code;
        squared += residual * residual;
    }
    *norm = sqrt(length);
    *error = sqrt(squared);
    return scale;
}

float cb_quantize_i8(const float *x, size_t d, int8_t *codes, double *norm, double *error) {
    static int avx2 = -1;
    if (avx2 < 0) avx2 = cb_i8_avx2_available() && __builtin_cpu_supports("fma");
    return avx2 ? quantize_i8_avx2(x, d, codes, norm, error) : quantize_i8_portable(x, d, codes, norm, error);
}

__attribute__((target("avx2")))
static inline int32_t horizontal_sum_i32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

// sign(q)·x times |q|, 32 values, widened to eight 32-bit partial sums.
__attribute__((target("avx2")))
static inline __m256i dot32(const int8_t *row, const int8_t *query, const uint8_t *query_abs, __m256i ones) {
    __m256i x = _mm256_loadu_si256((const __m256i *)row);
    __m256i signed_x = _mm256_sign_epi8(x, _mm256_loadu_si256((const __m256i *)query));
    __m256i pairs = _mm256_maddubs_epi16(_mm256_loadu_si256((const __m256i *)query_abs), signed_x);
    return _mm256_madd_epi16(pairs, ones);
}

__attribute__((target("avx2")))
static void scan_dot_i8_avx2(
    const int8_t *query, const uint8_t *query_abs, float query_scale, const int8_t *rows, const float *row_scales,
    size_t n, size_t d, float *out) {
    const __m256i ones = _mm256_set1_epi16(1);
    const size_t end = d & ~(size_t)31;
    for (size_t r = 0; r < n; r++) {
        const int8_t *p = rows + r * d;
        // Two accumulators: the adds of consecutive blocks do not wait on each other.
        __m256i a0 = _mm256_setzero_si256(), a1 = a0;
        size_t j = 0;
        for (; j + 64 <= end; j += 64) {
            a0 = _mm256_add_epi32(a0, dot32(p + j, query + j, query_abs + j, ones));
            a1 = _mm256_add_epi32(a1, dot32(p + j + 32, query + j + 32, query_abs + j + 32, ones));
        }
        if (j < end) {
            a0 = _mm256_add_epi32(a0, dot32(p + j, query + j, query_abs + j, ones));
            j += 32;
        }
        int32_t sum = horizontal_sum_i32(_mm256_add_epi32(a0, a1));
        for (; j < d; j++) sum += (int32_t)query[j] * (int32_t)p[j];
        out[r] = (float)sum * query_scale * row_scales[r];
    }
}

// With AVX-512 VNNI, one vpdpbusd does the multiply, the pairing and the widening of 32 values.
__attribute__((target("avx2,avx512vnni,avx512vl")))
static void scan_dot_i8_vnni(
    const int8_t *query, const uint8_t *query_abs, float query_scale, const int8_t *rows, const float *row_scales,
    size_t n, size_t d, float *out) {
    const size_t end = d & ~(size_t)31;
    for (size_t r = 0; r < n; r++) {
        const int8_t *p = rows + r * d;
        __m256i a0 = _mm256_setzero_si256(), a1 = a0;
        size_t j = 0;
        for (; j + 64 <= end; j += 64) {
            __m256i x0 = _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)(p + j)),
                                          _mm256_loadu_si256((const __m256i *)(query + j)));
            __m256i x1 = _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)(p + j + 32)),
                                          _mm256_loadu_si256((const __m256i *)(query + j + 32)));
            a0 = _mm256_dpbusd_epi32(a0, _mm256_loadu_si256((const __m256i *)(query_abs + j)), x0);
            a1 = _mm256_dpbusd_epi32(a1, _mm256_loadu_si256((const __m256i *)(query_abs + j + 32)), x1);
        }
        if (j < end) {
            __m256i x0 = _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)(p + j)),
                                          _mm256_loadu_si256((const __m256i *)(query + j)));
            a0 = _mm256_dpbusd_epi32(a0, _mm256_loadu_si256((const __m256i *)(query_abs + j)), x0);
            j += 32;
        }
        int32_t sum = horizontal_sum_i32(_mm256_add_epi32(a0, a1));
        for (; j < d; j++) sum += (int32_t)query[j] * (int32_t)p[j];
        out[r] = (float)sum * query_scale * row_scales[r];
    }
}

static bool vnni_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl");
}

bool cb_scan_dot_i8_kernel(
    int kernel, const int8_t *query, const uint8_t *query_abs, float query_scale, const int8_t *rows,
    const float *row_scales, size_t n, size_t d, float *out) {
    switch (kernel) {
    case 0: scan_dot_i8_portable(query, query_scale, rows, row_scales, n, d, out); return true;
    case 1:
        if (!cb_i8_avx2_available()) return false;
        scan_dot_i8_avx2(query, query_abs, query_scale, rows, row_scales, n, d, out);
        return true;
    case 2:
        if (!cb_i8_avx2_available() || !vnni_available()) return false;
        scan_dot_i8_vnni(query, query_abs, query_scale, rows, row_scales, n, d, out);
        return true;
    default: return false;
    }
}

void cb_scan_dot_i8(
    const int8_t *query, const uint8_t *query_abs, float query_scale, const int8_t *rows, const float *row_scales,
    size_t n, size_t d, float *out) {
    // Checked once; the best kernel this CPU runs.
    static int best = -1;
    if (best < 0) best = !cb_i8_avx2_available() ? 0 : vnni_available() ? 2 : 1;
    cb_scan_dot_i8_kernel(best, query, query_abs, query_scale, rows, row_scales, n, d, out);
}

#else
bool cb_i8_avx2_available(void) { return false; }
float cb_quantize_i8(const float *x, size_t d, int8_t *codes, double *norm, double *error) {
    return quantize_i8_portable(x, d, codes, norm, error);
}
bool cb_scan_dot_i8_kernel(
    int kernel, const int8_t *query, const uint8_t *query_abs, float query_scale, const int8_t *rows,
    const float *row_scales, size_t n, size_t d, float *out) {
    (void)query_abs;
    if (kernel != 0) return false;
    scan_dot_i8_portable(query, query_scale, rows, row_scales, n, d, out);
    return true;
}
void cb_scan_dot_i8(
    const int8_t *query, const uint8_t *query_abs, float query_scale, const int8_t *rows, const float *row_scales,
    size_t n, size_t d, float *out) {
    cb_scan_dot_i8_kernel(0, query, query_abs, query_scale, rows, row_scales, n, d, out);
}
#endif
