// Shared by the AVX2 kernels: the sum of four 8-float accumulators, reduced by hand.
#ifndef CASEBOOK_AVX2_SUM_H
#define CASEBOOK_AVX2_SUM_H
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

__attribute__((target("avx2,fma")))
static inline float cb_horizontal_sum(__m256 a, __m256 b, __m256 c, __m256 d) {
    __m256 s = _mm256_add_ps(_mm256_add_ps(a, b), _mm256_add_ps(c, d));
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
    return _mm_cvtss_f32(h);
}

#endif
#endif
