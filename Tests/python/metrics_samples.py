"""Reads a Prometheus text exposition (a file) with prometheus_client's own parser, an independent
reader of the format, and prints every sample as one JSON line: {"name", "labels", "value"}, then
"ok <families>" last. A text the parser refuses exits non-zero."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as handle:
        text = handle.read()
    families = list(text_string_to_metric_families(text))
    for family in families:
        for sample in family.samples:
            print(json.dumps({"name": sample.name, "labels": sample.labels, "value": sample.value,
                              "type": family.type}, sort_keys=True))
    print(f"ok {len(families)}")


if __name__ == "__main__":
    main()
