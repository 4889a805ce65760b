"""Validate every bag in a collection folder into a CSV: python walk_collection.py ROOT OUT.csv"""

import csv
import sys
from pathlib import Path

import bagsmith

root, out = Path(sys.argv[1]), Path(sys.argv[2])
with out.open("w", newline="", encoding="utf-8") as fh:
    rows = csv.writer(fh)
    rows.writerow(["bag", "valid", "files", "bytes", "errors", "first error"])
    for folder in sorted(p for p in root.iterdir() if (p / "bagit.txt").is_file()):
        result = bagsmith.Bag(folder).validate(mode="fast")  # Payload-Oxum and completeness
        first = result.errors[0].code if result.errors else ""
        rows.writerow(
            [
                folder.name,
                result.valid,
                result.payload_files,
                result.payload_bytes,
                len(result.errors),
                first,
            ]
        )
        print(f"{folder.name}: {'valid' if result.valid else 'INVALID'}")
