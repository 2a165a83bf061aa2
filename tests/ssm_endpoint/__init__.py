"""Local AWS SSM endpoint for the hybridops.ssm tests: moto's SSM, extended, behind a test-control API."""

from .control import EndpointControl
from .server import RunningEndpoint
from .server import start_in_process

__all__ = ["EndpointControl", "RunningEndpoint", "start_in_process"]
