"""Build of the optional native extension; all other metadata lives in pyproject.toml.

``solvency.tree._mst`` is the prover's batch SHA-256 (docs/SPEC.md section 3, byte for byte the
same as the pure-Python path). It is optional: if no C compiler is available the install still
succeeds and the prover falls back to pure Python (``solvency tree build`` says which it uses).
"""

import sys

from setuptools import Extension, setup

flags = [] if sys.platform == "win32" else ["-O3", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter"]

setup(
    ext_modules=[
        Extension("solvency.tree._mst", ["solvency/tree/_mst.c"], extra_compile_args=flags, optional=True),
    ]
)
