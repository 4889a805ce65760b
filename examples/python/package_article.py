"""Package an article with its photographs: python package_article.py ARTICLE IMAGES SIDECAR DEST"""

import sys

import bagsmith

article, images, sidecar, dest = sys.argv[1:5]
try:
    result = bagsmith.package(
        article,
        dest,
        images=images,
        metadata=sidecar,
        info={
            "Source-Organization": "Example Community Archive",
            "Contact-Name": "Ann Archivist",
            "Contact-Email": "ann@example.org",
        },
    )
except bagsmith.ProfileError as exc:  # a tag the profile requires is missing …
    sys.exit(f"not packaged: {exc}")
print(f"{result.path}: {result.figures} figures, {result.images_matched} with their image")
for note in result.warnings:
    print(f"  {note}")
