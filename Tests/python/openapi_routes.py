"""Prints every operation of an OpenAPI document as `METHOD /path`, one per line, sorted.

Reads the document with PyYAML, a parser independent of the Swift tests' own line reader, so a
document that is not valid YAML (and so unusable by any generated client) fails here.
"""
import sys

import yaml

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

with open(sys.argv[1], encoding="utf-8") as handle:
    document = yaml.safe_load(handle)
routes = sorted(
    f"{method.upper()} {path}"
    for path, item in document["paths"].items()
    for method in item
    if method in METHODS
)
print("\n".join(routes))
