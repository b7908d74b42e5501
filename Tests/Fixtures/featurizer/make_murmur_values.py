#!/usr/bin/env python3
"""Writes murmur_values.jsonl: scikit-learn's MurmurHash3 of hashed-v1 feature strings and the
bucket and sign FeatureHasher gives them, the reference the Swift tests compare against.

Run once with scikit-learn installed (benchmarks/peers/setup-venv.sh makes a virtualenv that has
it); the output is committed so the tests need no Python:
    benchmarks/.venv/bin/python Tests/Fixtures/featurizer/make_murmur_values.py
"""
import json
import os

import numpy as np
from sklearn.feature_extraction import FeatureHasher
from sklearn.utils import murmurhash3_32

FEATURES = [
    # every tail length (0-3 bytes after the 4-byte blocks) and the empty key
    "", "a", "ab", "abc", "abcd", "abcde", "word:2", "char:<2>",
    # word 1- and 2-grams
    "word:customer", "word:not", "word:available", "word:customer not", "word:not available",
    "word:unavailable", "word:customer unavailable", "word:rto", "word:cod", "word:reattempt",
    "word:address", "word:incomplete", "word:landmark", "word:whatsapp", "word:override",
    # character n-grams with boundary markers
    "char:<cu", "char:cus", "char:<cus", "char:<cust", "char:ble>", "char:able>", "char:lable>",
    "char:<no", "char:not", "char:ot>", "char:<not", "char:not>", "char:<not>",
    # structured context
    "ctx:reason=customer_unreachable", "ctx:reason~w=customer", "ctx:reason~w=unreachable",
    "ctx:carrier=delhivery", "ctx:paymentmode=cod", "ctx:attempts=2", "ctx:attempts=3",
    "ctx:cod=true", "ctx:cod=false", "ctx:ordervalue~2^10.5", "ctx:ordervalue~2^11",
    "ctx:ordervalue~-2^3", "ctx:limitutilisation~2^-0.5", "ctx:address.pincode=110001",
    "ctx:customer.tier=gold",
    # tags and category
    "tag:cod", "tag:metro", "tag:high_value", "cat:ndr_resolution", "cat:credit_override",
    # non-ASCII: Latin with accents, Devanagari, CJK, emoji (4-byte UTF-8), long strings
    "word:café", "char:<ca", "char:afé>", "word:पता", "word:ग्राहक उपलब्ध", "word:配送",
    "word:📦", "char:<📦>", "word:" + "x" * 37, "ctx:notes=" + "delivery attempted twice " * 4,
]
DIMENSIONS = [256, 512, 1024, 2048]


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "murmur_values.jsonl")
    rows = []
    for feature in FEATURES:
        signed = murmurhash3_32(feature.encode("utf-8"), seed=0)
        row = {"key": feature, "hash": int(signed), "unsigned": int(murmurhash3_32(feature, seed=0, positive=True))}
        for dims in DIMENSIONS:
            # FeatureHasher itself, not a re-statement of its rule: one feature of value 1.
            matrix = FeatureHasher(n_features=dims, input_type="pair", alternate_sign=True).transform([[(feature, 1.0)]])
            bucket = int(matrix.indices[0])
            sign = int(np.sign(matrix.data[0]))
            row[f"bucket{dims}"] = bucket
            row[f"sign{dims}"] = sign
        rows.append(row)
    with open(out, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"wrote {len(rows)} features to {out}")


if __name__ == "__main__":
    main()
