"""The collection as people call it: ad-hoc `ansible -m`, `ansible-doc`, and module_utils straight against the endpoint."""

import sys

import pytest

from conftest import ROOT
from conftest import adhoc
from conftest import run_cli

sys.path.insert(0, str(ROOT / "build" / "collections"))

MODULES = ["hybridops.ssm.ssm_managed_instance", "hybridops.ssm.ssm_managed_instance_info"]


def test_adhoc_deregister_then_again(control, ansible_env):
    node = control.seed_nodes(count=1)["instance_ids"][0]
    result, status, output = adhoc(ansible_env, MODULES[0], f"instance_id={node} state=absent")
    assert result.returncode == 0, result.stdout + result.stderr
    assert status == "CHANGED"
    assert output["outcomes"] == [{"instance_id": node, "outcome": "deregistered"}]
    assert control.count("DeregisterManagedInstance") == 1

    result, status, output = adhoc(ansible_env, MODULES[0], f"instance_id={node} state=absent")
    assert status == "SUCCESS" and output["changed"] is False
    assert control.count("DeregisterManagedInstance") == 1


def test_adhoc_info_lists_the_fleet(control, ansible_env):
    ids = control.seed_nodes(count=7)["instance_ids"]
    result, status, output = adhoc(ansible_env, MODULES[1], "resource_type=ManagedInstance")
    assert result.returncode == 0 and status == "SUCCESS"
    assert sorted(n["instance_id"] for n in output["instances"]) == sorted(ids)


def test_adhoc_bad_id_fails_without_a_request(control, ansible_env):
    result, status, output = adhoc(ansible_env, MODULES[0], "instance_id=mi-12345 state=absent")
    assert result.returncode != 0 and status == "FAILED!"
    assert output["msg"].startswith("instance_ids: ") and "'mi-12345'" in output["msg"]
    assert control.log() == []


# Every module of the collection, found on disk, so a new module is covered without editing this list.
ALL_MODULES = sorted(f"hybridops.ssm.{p.stem}" for p in (ROOT / "plugins" / "modules").glob("*.py"))


@pytest.mark.parametrize("module", ALL_MODULES)
def test_ansible_doc_renders_with_examples(module, ansible_env):
    result = run_cli(["ansible-doc", module], ansible_env)
    assert result.returncode == 0, result.stderr
    assert "EXAMPLES:" in result.stdout and f"{module}:" in result.stdout
    assert "RETURN VALUES:" in result.stdout
    assert "[WARNING]" not in result.stderr


def test_module_utils_refuses_an_invalid_id_before_any_request(control, endpoint):
    import boto3  # pylint: disable=import-outside-toplevel

    from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import commands  # pylint: disable=import-outside-toplevel
    from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import instances  # pylint: disable=import-outside-toplevel
    from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError  # pylint: disable=import-outside-toplevel

    client = boto3.client("ssm", endpoint_url=endpoint.url, region_name="us-east-1", aws_access_key_id="AKIDTEST", aws_secret_access_key="x")
    for call, args in [
        (instances.deregister_managed_instance, ("mi-0123456789ABCDEF0",)),
        (instances.deregister_managed_instance, ("i-0123456789abcdef0",)),
        (instances.describe_instances_by_id, (["mi-1", "mi-1"],)),
        (commands.cancel_command, ("0" * 35, None)),
    ]:
        with pytest.raises(SSMValidationError):
            call(client, *args)
    assert control.log() == []
    # and a valid one does reach it, so the log is really watching
    node = control.seed_nodes(count=1)["instance_ids"][0]
    assert instances.deregister_managed_instance(client, node).deregistered is True
    assert [e["operation"] for e in control.log()] == ["DeregisterManagedInstance"]


def test_ansible_doc_list_marks_the_role_internal_plugins_as_internal(ansible_env):
    # `ansible-doc -l` cuts each description to a few words: the mark has to come first to be seen. Every plugin
    # of the collection that is not a user module (ssm_*, ecs_anywhere_*) is internal to the roles.
    listing = {}
    for plugin_type in ("module", "filter"):
        result = run_cli(["ansible-doc", "-l", "-t", plugin_type, "hybridops.ssm"], ansible_env)
        assert result.returncode == 0, result.stderr
        for line in result.stdout.splitlines():
            name, description = (line.split(None, 1) + [""])[:2]
            listing[name] = description.strip()
    internal = {name: text for name, text in listing.items() if not name.startswith(("hybridops.ssm.ssm_", "hybridops.ssm.ecs_anywhere_"))}
    assert "hybridops.ssm.find_hybrid_node" in internal and "hybridops.ssm.check_role_inputs" in internal
    assert {name: text for name, text in internal.items() if not text.startswith("Internal")} == {}
    assert [name for name, text in listing.items() if text.startswith("Internal") and name not in internal] == []
