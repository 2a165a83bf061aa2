"""Fixtures: one in-process endpoint per session, reset before every test, boto3 clients aimed at it.

Helpers the test modules import are in endpoint_helpers.py, not here (see there why).
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))
sys.path.insert(0, os.path.abspath(os.path.dirname(__file__)))

from endpoint_helpers import make_client  # noqa: E402  pylint: disable=wrong-import-position

from ssm_endpoint import EndpointControl  # noqa: E402  pylint: disable=wrong-import-position
from ssm_endpoint import start_in_process  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(name="endpoint", scope="session")
def fixture_endpoint():
    """The running endpoint (URL in ``endpoint.url``)."""
    running = start_in_process(port=0)
    yield running
    running.stop()


@pytest.fixture(name="control")
def fixture_control(endpoint):
    """Control client; the endpoint is reset before each test."""
    ctl = EndpointControl(endpoint.url)
    ctl.reset()
    return ctl


@pytest.fixture(name="ssm")
def fixture_ssm(endpoint, control):
    """SSM client without retries (faults surface immediately)."""
    del control
    return make_client(endpoint)


@pytest.fixture(name="raw_ssm")
def fixture_raw_ssm(endpoint, control):
    """SSM client that skips botocore's client-side validation, to reach the server's."""
    del control
    return make_client(endpoint, parameter_validation=False)


@pytest.fixture(name="activation")
def fixture_activation(ssm):
    """A fresh activation allowing 5 registrations."""
    return ssm.create_activation(IamRole="SSMServiceRole", RegistrationLimit=5, DefaultInstanceName="edge")
