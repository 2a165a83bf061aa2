# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Test doubles: a scripted SSM client and ClientError builders."""

import types

from botocore.exceptions import ClientError

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.served import ATTEMPTS_PARAM


def client_error(code, operation="DeregisterManagedInstance", message="boom", status=400):
    return ClientError({"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


class RecordingEvents:
    """A client's ``meta.events``: records what was registered."""

    def __init__(self):
        self.registered = []

    def register(self, event, handler, unique_id=None):
        self.registered.append((event, handler, unique_id))


class ScriptedClient:
    """Answers each method call with the next scripted outcome (a dict, or an exception to raise).

    ``calls`` records (method, kwargs) so tests assert on what would have been sent.
    """

    def __init__(self, **scripts):
        self._scripts = {name: list(outcomes) for name, outcomes in scripts.items()}
        self.calls = []
        self.meta = types.SimpleNamespace(events=RecordingEvents())

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)

        def call(**kwargs):
            # As the client's provide-client-params hook does (served.carry_attempts): the record is never sent.
            kwargs.pop(ATTEMPTS_PARAM, None)
            self.calls.append((name, kwargs))
            outcomes = self._scripts.get(name)
            if not outcomes:
                raise AssertionError(f"unexpected call {name}({kwargs})")
            outcome = outcomes.pop(0) if len(outcomes) > 1 else outcomes[0]
            if isinstance(outcome, Exception):
                raise outcome
            return outcome(**kwargs) if callable(outcome) else outcome

        return call

    def names(self):
        return [name for name, _kwargs in self.calls]


class Clock:
    """A clock that moves only when a test moves ``now``."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class FakeTime:
    """A clock and a sleep for code that takes both: time moves only by ``advance`` and by the sleeps (recorded)."""

    def __init__(self, start=0.0):
        self.now = start
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds):
        self.now += seconds


def rejecting_describe(bad, registered):
    """A describe_instance_information that rejects any batch naming ``bad`` and lists the ``registered`` among the rest."""

    def describe(**kwargs):
        values = kwargs["Filters"][-1]["Values"]
        if bad in values:
            raise client_error("ValidationException", "DescribeInstanceInformation", message="1 validation error detected")
        return {"InstanceInformationList": [{"InstanceId": i, "IamRole": "Old"} for i in values if i in registered]}

    return describe
