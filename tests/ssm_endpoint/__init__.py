"""Local AWS SSM endpoint for the hybridops.ssm tests: moto's SSM, extended, behind a test-control API."""

from .clients import endpoint_client
from .control import EndpointControl
from .server import RunningEndpoint
from .server import start_in_process

__all__ = ["EndpointControl", "RunningEndpoint", "endpoint_client", "start_in_process"]
