// LAPACKE's C interface (ssyevd for PCA, used by the IVF index).
#include <lapacke.h>
