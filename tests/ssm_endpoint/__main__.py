"""``python -m ssm_endpoint``: run the endpoint as a process."""

import sys

from .server import main

sys.exit(main())
