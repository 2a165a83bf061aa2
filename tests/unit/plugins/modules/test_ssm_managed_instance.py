# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""ssm_managed_instance driven through main(): options in, JSON out, the client scripted."""

import functools

import pytest

from ansible_collections.hybridops.ssm.plugins.modules import ssm_managed_instance
from ansible_collections.hybridops.ssm.tests.unit.plugins.modules.utils import BASE_ARGS
from ansible_collections.hybridops.ssm.tests.unit.plugins.modules.utils import patch_module_args
from ansible_collections.hybridops.ssm.tests.unit.plugins.modules.utils import run_module_main

from ..module_utils.doubles import ScriptedClient
from ..module_utils.doubles import client_error

A, B = "mi-0000000000000000a", "mi-0000000000000000b"
run_main = functools.partial(run_module_main, ssm_managed_instance)


def _listed(*present):
    return lambda **kw: {"InstanceInformationList": [{"InstanceId": i, "IamRole": "Old"} for i in kw["Filters"][0]["Values"] if i in present]}


def test_absent_check_mode_with_diff(monkeypatch, capsys):
    client = ScriptedClient(describe_instance_information=[_listed(A)])
    result = run_main(monkeypatch, capsys, client, instance_ids=[A, B], state="absent", _ansible_check_mode=True, _ansible_diff=True)
    assert result["changed"] is True
    assert result["diff"] == {"before": {"registered": [A]}, "after": {"registered": []}}
    assert [o["outcome"] for o in result["outcomes"]] == ["deregistered", "already_absent"]
    assert client.names() == ["describe_instance_information"]


def test_no_diff_without_diff_mode(monkeypatch, capsys):
    client = ScriptedClient(describe_instance_information=[_listed(A)], deregister_managed_instance=[{}])
    result = run_main(monkeypatch, capsys, client, instance_id=A, state="absent")
    assert result["changed"] is True and "diff" not in result


def test_partial_failure_fails_after_every_node_naming_the_failed(monkeypatch, capsys):
    def deregister(**kwargs):
        if kwargs["InstanceId"] == A:
            raise client_error("AccessDeniedException")
        return {}

    client = ScriptedClient(describe_instance_information=[_listed(A, B)], deregister_managed_instance=[deregister])
    result = run_main(monkeypatch, capsys, client, instance_ids=[A, B], state="absent")
    assert result["failed"] is True and result["changed"] is True
    assert A in result["msg"] and "AccessDeniedException" in result["msg"] and B not in result["msg"]
    assert [o["outcome"] for o in result["outcomes"]] == ["failed", "deregistered"]


def test_bad_input_fails_before_the_client_is_used(monkeypatch, capsys):
    client = ScriptedClient()
    result = run_main(monkeypatch, capsys, client, instance_ids=["i-0123456789abcdef0"], state="absent")
    assert result["failed"] is True and "'i-0123456789abcdef0' is an EC2 instance, which SSM cannot deregister" in result["msg"]
    assert client.calls == []


def test_awx_token_never_reaches_output(monkeypatch, capsys):
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "tok-SECRET-123")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    seen = {}
    monkeypatch.setattr(ssm_managed_instance, "ssm_client", lambda module: _client_with_token(module, seen))
    with patch_module_args({**BASE_ARGS, "instance_ids": [A], "state": "absent"}):
        with pytest.raises(SystemExit):
            ssm_managed_instance.main()
    out = capsys.readouterr().out
    assert seen["token"] == "tok-SECRET-123"
    assert "tok-SECRET-123" not in out


def _client_with_token(module, seen):
    """The real ssm_client (token fallback and masking), with the boto3 client swapped for a double."""
    from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import client as client_module  # pylint: disable=import-outside-toplevel

    module.client = lambda service, **kwargs: ScriptedClient(describe_instance_information=[_listed()])
    result = client_module.ssm_client(module)
    seen["token"] = module.params["session_token"]
    return result
