// The assignment step of k-means: for one row's dot products with every centroid, the centroid
// minimising bias[c] + scale * dots[c]. Eight running minima (one per lane) keep the comparisons
// independent; a scalar loop would wait on each compare. Multiply then add, not FMA, so the scores
// round exactly as the portable Swift loop's do and both pick the same centroid.
#include "CasebookKernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

__attribute__((target("avx2")))
int32_t cb_argmin_affine_avx2(const float *dots, const float *bias, float scale, size_t k, float *value) {
    float best_value = __builtin_inff();
    int32_t best_index = 0;
    size_t c = 0;
    if (k >= 8) {
        const __m256 s = _mm256_set1_ps(scale);
        __m256 best = _mm256_add_ps(_mm256_loadu_ps(bias), _mm256_mul_ps(s, _mm256_loadu_ps(dots)));
        __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        __m256i lane = index;
        const __m256i step = _mm256_set1_epi32(8);
        for (c = 8; c + 8 <= k; c += 8) {
            lane = _mm256_add_epi32(lane, step);
            __m256 score = _mm256_add_ps(_mm256_loadu_ps(bias + c), _mm256_mul_ps(s, _mm256_loadu_ps(dots + c)));
            __m256 smaller = _mm256_cmp_ps(score, best, _CMP_LT_OQ);
            best = _mm256_blendv_ps(best, score, smaller);
            index = _mm256_castps_si256(_mm256_blendv_ps(
                _mm256_castsi256_ps(index), _mm256_castsi256_ps(lane), smaller));
        }
        float values[8];
        int32_t indices[8];
        _mm256_storeu_ps(values, best);
        _mm256_storeu_si256((__m256i *)indices, index);
        // Smallest value; among equal values the smallest index, as the scalar loop chooses.
        for (int i = 0; i < 8; i++) {
            if (values[i] < best_value || (values[i] == best_value && indices[i] < best_index)) {
                best_value = values[i];
                best_index = indices[i];
            }
        }
    }
    for (; c < k; c++) {
        float score = bias[c] + scale * dots[c];
        if (score < best_value) {
            best_value = score;
            best_index = (int32_t)c;
        }
    }
    *value = best_value;
    return best_index;
}

#else

int32_t cb_argmin_affine_avx2(const float *dots, const float *bias, float scale, size_t k, float *value) {
    (void)dots; (void)bias; (void)scale; (void)k; *value = 0; return 0;
}

#endif
