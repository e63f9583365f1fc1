"""Writing converted model files, or checking them against the committed ones (the converters' --check)."""

import hashlib
import os
import sys


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def write_or_check(files, committed_dir, out_dir, check, label):
    """files: name → bytes. --check: 0 when every file equals the committed one byte for byte, else 1."""
    if check:
        different = [name for name, data in files.items()
                     if not os.path.exists(os.path.join(committed_dir, name))
                     or open(os.path.join(committed_dir, name), "rb").read() != data]
        if different:
            print(f"{label} --check: differs from the committed files: {', '.join(different)}", file=sys.stderr)
            return 1
        print(f"{label} --check: {len(files)} files reproduced byte for byte")
        return 0
    os.makedirs(out_dir, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)
        print(f"{name}: {len(data)} bytes, sha256 {sha256(data)}")
    return 0
