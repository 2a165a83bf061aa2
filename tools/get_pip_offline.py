"""Offline stand-in for get-pip.py: bootstrap pip from the standard library, then install what was asked.

get-pip.py takes pip-install arguments plus its own --no-setuptools / --no-wheel
(do not add those packages); pip itself does not know those two, so drop them.
"""

import subprocess
import sys

GET_PIP_ONLY_OPTIONS = {"--no-setuptools", "--no-wheel"}

subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
arguments = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--upgrade", "--disable-pip-version-check"] + arguments))
