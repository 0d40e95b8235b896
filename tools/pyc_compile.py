"""Compile Python sources into unchecked hash-based pyc files (PEP 552), in a process of its own.

`tools.build_lambda` runs this file as a script with `python -I -S` and a fixed PYTHONHASHSEED, so
the bytecode depends on the sources and the interpreter only, never on what the building process
happens to hold. That matters: marshal marks a string it writes as interned (and as shared) from
its state in the writing process, and one-character strings are process-wide singletons, so a
builder that had interned "~" somewhere (a test run, an imported library) wrote different pyc bytes
for the same source (measured: pycparser's c_lexer.py, built inside the test suite's process).

Standard library only: the script runs without site-packages. Protocol: stdin is a JSON list of
[arcname, path]; stdout is, per entry in order, a 4-byte big-endian length and that many pyc bytes
(length 0xFFFFFFFF: the source does not compile, no pyc).
"""

from __future__ import annotations

import importlib.util
import json
import marshal
import struct
import sys
import warnings

# Where Lambda puts the code (LAMBDA_TASK_ROOT): the file name compiled into each code object. The
# interpreter replaces it with the real path on import; it only has to be the same on every build.
LAMBDA_TASK_ROOT = "/var/task"
# PEP 552 flags word of a hash-based pyc whose source is not checked at import.
PYC_UNCHECKED_HASH = 0b01
NO_PYC = 0xFFFFFFFF


def compile_pyc(source: bytes, arcname: str) -> bytes | None:
    """An unchecked hash-based pyc of `source`, or None when it does not compile.

    No mtime in the header, the code object's file name fixed, nothing inherited from the caller
    (`dont_inherit`, optimize 0 as the runtime runs without -O). A file that does not compile gets
    no pyc (importing it would fail on Lambda just the same). Deterministic only in a fresh
    process (see the module docstring): call it through `tools.build_lambda`.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. SyntaxWarning for escapes in vendored code
        try:
            code = compile(source, f"{LAMBDA_TASK_ROOT}/{arcname}", "exec", dont_inherit=True, optimize=0)
        except (SyntaxError, ValueError):
            return None
    header = importlib.util.MAGIC_NUMBER + struct.pack("<I", PYC_UNCHECKED_HASH)
    return header + importlib.util.source_hash(source) + marshal.dumps(code)


def main() -> None:
    out = sys.stdout.buffer
    for arcname, path in json.load(sys.stdin):
        with open(path, "rb") as fh:
            pyc = compile_pyc(fh.read(), arcname)
        if pyc is None:
            out.write(struct.pack(">I", NO_PYC))
        else:
            out.write(struct.pack(">I", len(pyc)) + pyc)
    out.flush()


if __name__ == "__main__":
    main()
