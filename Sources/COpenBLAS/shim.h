// OpenBLAS's CBLAS interface plus its thread-count control (openblas_set_num_threads),
// which Casebook calls on purpose so BLAS threads do not fight Swift's own pool.
#include <cblas.h>
