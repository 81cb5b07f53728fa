"""``python -I [-S] .../hookpact/boot.py MODULE ARG...``: run ``MODULE.main()`` from cached bytecode.

A script Python is given by path is compiled from source at every start, and hookpact's hook
processes start on every tool call: dispatch.py and the sandbox's launch.py cost 7 ms each to
compile on a 2-core machine. A module that is imported comes from ``__pycache__``. This file is
all that is compiled; keep it small. Under ``-S`` it puts back what ``site`` would have given
hookpact (as ``site.venv()`` finds it): its own package directory and the venv's, or the
interpreter's, site-packages, where the cold-path dependencies live.
"""

import sys
from os.path import abspath, dirname, isdir, isfile, join

_package_dir = dirname(dirname(abspath(__file__)))
if sys.flags.no_site:
    _venv = dirname(dirname(sys.executable))
    _base = _venv if isfile(join(_venv, "pyvenv.cfg")) else sys.prefix
    _site = join(_base, "lib", f"python{sys.version_info[0]}.{sys.version_info[1]}", "site-packages")
    sys.path[:0] = [p for p in (_package_dir, _site) if p not in sys.path and isdir(p)]
elif _package_dir not in sys.path:
    sys.path.insert(0, _package_dir)
if len(sys.argv) < 2 or not sys.argv[1].startswith("hookpact."):
    sys.stderr.write("usage: boot.py hookpact.MODULE [ARG...]\n")
    raise SystemExit(2)
_name = sys.argv[1]
__import__(_name)
_module = sys.modules[_name]
sys.argv = [_module.__file__ or _name, *sys.argv[2:]]
raise SystemExit(_module.main())
