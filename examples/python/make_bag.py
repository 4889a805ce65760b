"""Bag a folder, with the institution's bag-info tags: python make_bag.py SOURCE DEST"""

import sys

import bagsmith

source, dest = sys.argv[1], sys.argv[2]
bag = bagsmith.make_bag(
    source,
    dest,
    info={
        "Source-Organization": "Example Community Archive",
        "Contact-Email": "ann@example.org",
        "Internal-Sender-Identifier": ["box-12", "folder-3"],  # a list repeats the tag
    },
    algorithms=["sha256", "sha512"],
)
print(f"{bag.path}: {len(bag.payload)} files, Payload-Oxum {bag.payload_oxum}")
for path, digest in bag.manifests["sha256"].items():
    print(f"  {digest[:16]}…  {path}")
for note in bag.warnings:  # files left out (hidden, operating-system files …)
    print(f"  note: {note}")
