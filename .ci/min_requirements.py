"""Print the oldest versions sklearn-qe allows, one requirement per line, for pip.

Reads the installed package's metadata (so ``pip install --no-deps -e .`` first). Each
``name>=X.Y`` of the dependencies, and of the extras named on the command line, becomes
``name==X.Y.*``: the floor's series, at its latest patch release. torch is left out: it is
installed pinned first (``make``), since any other torch spec downloads a CUDA build.
"""

import re
import sys
from importlib.metadata import requires

extras = set(sys.argv[1:])
for requirement in requires("sklearn-qe"):
    spec, _, marker = requirement.partition(";")
    extra = re.search(r'extra == "([^"]+)"', marker)
    if extra and extra.group(1) not in extras:
        continue
    match = re.fullmatch(r"([A-Za-z0-9_.\-]+(?:\[[^\]]*\])?)\s*(.*)", spec.strip())
    name, specifiers = match.groups()
    floor = re.search(r">=\s*([\d.]+)", specifiers)
    if floor is None or name == "torch":  # the package itself with extras; torch is pinned
        continue
    version = floor.group(1)
    print(f"{name}=={version}.*" if "." in version else f"{name}=={version}.0.*")
