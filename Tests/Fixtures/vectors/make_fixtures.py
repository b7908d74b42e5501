"""Writes the small vector files that VectorFileTests reads, with NumPy, so the Swift readers are
checked against files produced by the reference implementation of each format. Run once with any
NumPy (the outputs are committed; the tests need no Python):

    python3 Tests/Fixtures/vectors/make_fixtures.py
"""
import os

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(here, name)


def write_vecs(name, array, scalar_dtype):
    """One record per row: int32 dimension, then the row's scalars (the SIFT/GIST layout)."""
    rows, dim = array.shape
    with open(path(name), "wb") as f:
        for row in array:
            f.write(np.int32(dim).astype("<i4").tobytes())
            f.write(row.astype(scalar_dtype).tobytes())


floats = (np.arange(12, dtype="<f4").reshape(3, 4) * 0.5 - 1.25).astype("<f4")
ints = (np.arange(15, dtype="<i4").reshape(3, 5) * 7 - 3).astype("<i4")
bytes_ = np.array([[0, 1, 255], [128, 7, 64]], dtype="u1")

write_vecs("small.fvecs", floats, "<f4")
write_vecs("small.ivecs", ints, "<i4")
write_vecs("small.bvecs", bytes_, "u1")
np.save(path("small_f4.npy"), floats)
np.save(path("small_i4.npy"), ints)
np.save(path("small_i8.npy"), ints.astype("<i8"))
np.save(path("labels_1d_i4.npy"), np.array([4, -1, 9], dtype="<i4"))

# Broken files, each with one defect the readers must name.
write_vecs("truncated.fvecs", floats, "<f4")
with open(path("truncated.fvecs"), "r+b") as f:
    f.truncate(os.path.getsize(path("truncated.fvecs")) - 6)
with open(path("mixed_dims.fvecs"), "wb") as f:
    for row, dim in ((floats[0], 4), (floats[1][:3], 3)):
        f.write(np.int32(dim).tobytes())
        f.write(row.astype("<f4").tobytes())
np.save(path("float64.npy"), floats.astype("<f8"))
np.save(path("fortran.npy"), np.asfortranarray(floats))
np.save(path("truncated.npy"), floats)
with open(path("truncated.npy"), "r+b") as f:
    f.truncate(os.path.getsize(path("truncated.npy")) - 4)
np.save(path("too_wide.npy"), np.array([[1, 2**40]], dtype="<i8"))
