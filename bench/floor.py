"""The floor bagsmith validate is measured against: the least a Python program can do.

    python bench/floor.py hash DIR [ALG ...]   # read every file under DIR once, hash it with
                                               # each ALG (default sha256 sha512)
    python bench/floor.py sizes DIR            # add up the sizes of the files under DIR (stat)

No checks, no manifests, no error handling: a plain loop over ``os.walk``. Files are read
through one reused 1 MiB buffer (one ``readinto`` call for a small file, plus the one that
finds its end). bench/bench_floor.py runs it beside ``bagsmith validate`` and ``--fast``.
"""

import hashlib
import os
import sys

if len(sys.argv) < 3 or sys.argv[1] not in ("hash", "sizes"):
    print(__doc__)
    raise SystemExit(0 if "--help" in sys.argv or "-h" in sys.argv else 2)
mode, top, algs = sys.argv[1], sys.argv[2], sys.argv[3:] or ["sha256", "sha512"]
buf = bytearray(1 << 20)
view = memoryview(buf)
total = files = 0
for folder, _dirs, names in os.walk(top):
    for name in names:
        path = os.path.join(folder, name)
        files += 1
        if mode == "sizes":
            total += os.stat(path).st_size
            continue
        hashers = [getattr(hashlib, alg)() for alg in algs]
        with open(path, "rb", buffering=0) as fh:
            while n := fh.readinto(buf):
                total += n
                for h in hashers:
                    h.update(view[:n])
        for h in hashers:
            h.hexdigest()
print(f"{files} files, {total} bytes")
