"""AWX / Tower / AAP plumbing: the execution environment ansible-builder makes, and jobs run through ansible-runner.

No container runtime is needed: `ansible-builder create` writes the build
context only, and `ansible-builder introspect` reads installed collections.
Jobs run through ansible_runner.run() in process mode, as they would inside
an execution environment, against the local SSM endpoint.
"""

import json
import os
import stat
import tarfile

import pytest
import yaml

from conftest import AWX_CREDENTIAL
from conftest import MODULE_PYTHON
from conftest import ROOT
from conftest import run_cli
from conftest import run_runner
from conftest import runner_events
from conftest import send_long_command
from hostroot import REGISTRATION
from hostroot import make_host_root

TREE = ROOT / "build" / "collections" / "ansible_collections" / "hybridops" / "ssm"
EXAMPLE_EE = ROOT / "docs" / "execution-environment.yml"
PINS = dict(line.strip().split("==", 1) for line in (ROOT / "tests" / "constraints.txt").read_text(encoding="utf-8").splitlines() if "==" in line)


@pytest.fixture(scope="module")
def collection_tarball(tmp_path_factory):
    """The collection as Galaxy would ship it, built from the bootstrapped tree."""
    out = tmp_path_factory.mktemp("dist")
    result = run_cli(["ansible-galaxy", "collection", "build", "--output-path", str(out), str(TREE)], dict(os.environ))
    assert result.returncode == 0, result.stdout + result.stderr
    return next(out.glob("hybridops-ssm-*.tar.gz"))


def _introspect(collections_dir):
    result = run_cli(["ansible-builder", "introspect", str(collections_dir)], dict(os.environ))
    assert result.returncode == 0, result.stdout + result.stderr
    return yaml.safe_load(result.stdout)


def test_tarball_ships_the_execution_environment_metadata(collection_tarball):
    with tarfile.open(collection_tarball) as tar:
        names = set(tar.getnames())
        meta = yaml.safe_load(tar.extractfile("meta/execution-environment.yml"))
        requirements = tar.extractfile("requirements.txt").read().decode()
    assert {"meta/execution-environment.yml", "requirements.txt", "docs/execution-environment.yml"} <= names
    assert meta == {"version": 1, "dependencies": {"python": "requirements.txt"}}
    assert "boto3>=" in requirements and "botocore>=" in requirements


def test_example_definition_pins_what_the_tests_run(collection_tarball):
    """docs/execution-environment.yml: schema v3, our collection and amazon.aws, and the versions tested here."""
    definition = yaml.safe_load(EXAMPLE_EE.read_text(encoding="utf-8"))
    assert definition["version"] == 3
    deps = definition["dependencies"]
    assert deps["ansible_core"]["package_pip"] == f"ansible-core=={PINS['ansible-core']}"
    assert deps["ansible_runner"]["package_pip"] == f"ansible-runner=={PINS['ansible-runner']}"
    collections = {c["name"]: c.get("version") for c in deps["galaxy"]["collections"]}
    assert collections == {"hybridops.ssm": None, "amazon.aws": ">=10.1.1"}
    assert collection_tarball.name.startswith("hybridops-ssm-")


def test_builder_create_makes_a_build_context(collection_tarball, tmp_path):
    """`ansible-builder create` on the example definition, our collection given as the local tarball: nothing is fetched."""
    definition = yaml.safe_load(EXAMPLE_EE.read_text(encoding="utf-8"))
    local = f"collections/{collection_tarball.name}"  # relative to /build, where the galaxy stage installs from
    definition["dependencies"]["galaxy"]["collections"] = [
        {"name": local, "type": "file"} if c["name"] == "hybridops.ssm" else c for c in definition["dependencies"]["galaxy"]["collections"]
    ]
    definition["additional_build_files"] = [{"src": str(collection_tarball), "dest": "collections"}]
    ee_file = tmp_path / "execution-environment.yml"
    ee_file.write_text(yaml.safe_dump(definition), encoding="utf-8")
    context = tmp_path / "context"

    result = run_cli(["ansible-builder", "create", "-f", str(ee_file), "-c", str(context), "--output-filename", "Containerfile"], dict(os.environ))
    assert result.returncode == 0, result.stdout + result.stderr

    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    base_image = definition["images"]["base_image"]["name"]
    assert f'ARG EE_BASE_IMAGE="{base_image}"' in containerfile
    assert "ansible-galaxy collection install" in containerfile and "introspect" in containerfile
    pip_refs = [definition["dependencies"][k]["package_pip"] for k in ("ansible_core", "ansible_runner")]
    assert f'ARG ANSIBLE_INSTALL_REFS="{" ".join(pip_refs)}"' in containerfile

    build = context / "_build"
    galaxy = yaml.safe_load((build / "requirements.yml").read_text(encoding="utf-8"))
    assert {"name": local, "type": "file"} in galaxy["collections"]
    assert {"name": "amazon.aws", "version": ">=10.1.1"} in galaxy["collections"]
    assert (build / local).read_bytes() == collection_tarball.read_bytes()
    python = (build / "requirements.txt").read_text(encoding="utf-8").split()
    assert python == definition["dependencies"]["python"]
    assert (build / "scripts" / "introspect.py").is_file()


def test_introspect_reads_our_metadata_in_the_build_tree():
    """What ansible-builder's introspection finds in build/collections (the tree the tests and ansible-test use)."""
    data = _introspect(ROOT / "build" / "collections")
    ours = [line for line in data["python"] if line.endswith("# from collection hybridops.ssm")]
    assert sorted(line.split()[0] for line in ours) == ["boto3>=1.35.0", "botocore>=1.35.0"]
    assert not [line for line in data["system"] if "hybridops.ssm" in line]


def test_introspect_reads_our_metadata_after_galaxy_install(collection_tarball, tmp_path):
    """The same from the collection as an EE build installs it: from the tarball, so only packaged files count."""
    target = tmp_path / "collections"
    result = run_cli(["ansible-galaxy", "collection", "install", "--no-deps", "--force", "-p", str(target), str(collection_tarball)], dict(os.environ))
    assert result.returncode == 0, result.stdout + result.stderr
    data = _introspect(target)
    assert data["python"] == ["boto3>=1.35.0  # from collection hybridops.ssm", "botocore>=1.35.0  # from collection hybridops.ssm"]
    assert data["system"] == []


def _files_holding(directory, secrets):
    found = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", "replace")
        found.extend((str(path.relative_to(directory)), s) for s in secrets if s in text)
    return found


def test_adhoc_deregister_through_runner_with_awx_credentials(control, runner_env, endpoint, tmp_path):
    """An ad-hoc command as AWX launches it: the credential's AWS_SECURITY_TOKEN is honoured and never shown."""
    nodes = control.seed_nodes(count=3)["instance_ids"]
    # AWX's credential injects no region; the job supplies it (here as an environment variable) with our endpoint.
    envvars = dict(AWX_CREDENTIAL, AWS_REGION="us-east-1", AWS_URL=endpoint.url)

    runner, artifacts = run_runner(
        tmp_path,
        runner_env,
        envvars=envvars,
        ident="adhoc",
        host_pattern="localhost",
        module="hybridops.ssm.ssm_managed_instance",
        module_args=f"instance_ids={','.join(nodes)} state=absent",
    )
    stdout = runner.stdout.read()
    assert (runner.status, runner.rc) == ("successful", 0), stdout

    ok = runner_events(runner, "runner_on_ok", "localhost")
    assert len(ok) == 1 and not runner_events(runner, "runner_on_failed")
    res = ok[0]["event_data"]["res"]
    assert res["changed"] is True
    assert sorted(res["outcomes"], key=lambda o: o["instance_id"]) == [{"instance_id": n, "outcome": "deregistered"} for n in sorted(nodes)]
    assert ok[0]["event_data"]["task_action"] == "hybridops.ssm.ssm_managed_instance"

    assert (artifacts / "status").read_text(encoding="utf-8") == "successful"
    assert (artifacts / "rc").read_text(encoding="utf-8") == "0"
    on_disk = [json.loads(f.read_text(encoding="utf-8")) for f in (artifacts / "job_events").glob("*.json")]
    assert sorted(e["uuid"] for e in on_disk) == sorted(e["uuid"] for e in runner.events)
    assert [e["event_data"]["res"]["outcomes"] for e in on_disk if e["event"] == "runner_on_ok"] == [res["outcomes"]]

    log = control.log()
    assert sorted(e["params"]["InstanceId"] for e in log if e["operation"] == "DeregisterManagedInstance") == sorted(nodes)
    assert log and all(e["session_token_sent"] for e in log), [(e["operation"], e["session_token_sent"]) for e in log]
    assert all(e["region"] == "us-east-1" for e in log)

    secrets = [AWX_CREDENTIAL["AWS_SECRET_ACCESS_KEY"], AWX_CREDENTIAL["AWS_SECURITY_TOKEN"]]
    assert not [s for s in secrets if s in stdout]
    assert not [s for s in secrets if s in str(list(runner.events))]
    # ansible-runner itself records the launch environment in artifacts/IDENT/command
    # (owner-only, by design; AWX deletes the private data dir after the job). No
    # other file - env/, events, stdout, stderr, status - may hold a secret.
    command = artifacts / "command"
    assert stat.S_IMODE(command.stat().st_mode) == 0o600
    assert not (tmp_path / "runner-adhoc" / "env" / "envvars").exists()
    found = _files_holding(tmp_path / "runner-adhoc", secrets)
    assert [(f, s) for f, s in found if f != "artifacts/adhoc/command"] == []
    assert found == [("artifacts/adhoc/command", s) for s in secrets]  # the scan does read every file


def test_decommission_playbook_as_a_job_template(control, runner_env, endpoint, tmp_path):
    """hybridops.ssm.decommission as AWX runs it: AWX's credential (with a session token), survey answers as
    extra vars, one reachable host and one gone; the activation goes once both of its nodes are gone."""
    seeded = control.seed_nodes(count=2, name_prefix="store")
    reachable_id, gone_id = seeded["instance_ids"]
    command = send_long_command(endpoint.url, seeded["instance_ids"])
    control.set_invocation(command, outcome="Success", duration_steps=1_000_000)  # in flight until cancelled, however slow the run
    control.set_clock(mode="realtime", step_interval=0.1)
    root = make_host_root(tmp_path / "node-a", reachable_id)
    inventory = "\n".join(
        [
            "[hybrid_nodes]",
            f"node-a ansible_connection=local decommission_hybrid_node_root={root}",
            f"node-b ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=1 decommission_hybrid_node_instance_id={gone_id}",
            "[all:vars]",
            f"ansible_python_interpreter={MODULE_PYTHON}",
        ]
    )
    survey = {
        "decommission_hosts": "hybrid_nodes",
        "decommission_hybrid_node_region": "us-east-1",  # AWX's credential injects no region
        "decommission_hybrid_node_become": False,
        "decommission_hybrid_node_delete_activation": True,
        "decommission_hybrid_node_command_poll_interval": 0.3,
    }
    control.clear_log()
    runner, artifacts = run_runner(
        tmp_path,
        runner_env,
        envvars=dict(AWX_CREDENTIAL, AWS_URL=endpoint.url),
        ident="decommission",
        inventory=inventory,
        playbook="hybridops.ssm.decommission",
        extravars=survey,
    )
    stdout = runner.stdout.read()
    assert (runner.status, runner.rc) == ("successful", 0), stdout
    assert set(runner.stats["changed"]) == {"node-a", "node-b"} and not runner.stats["failures"]

    # one deregistration call for both hosts (the role batches the SSM side), and each host its own outcome in the artifacts
    (stage,) = [
        e["event_data"]["res"]
        for e in runner_events(runner, "runner_on_ok")
        if e["event_data"]["task"] == "Deregister the nodes, one call per region (waiting until they no longer list where a host is cleaned)"
    ]
    assert [(call["module"], call["region"], call["items"]) for call in stage["calls"]] == [("hybridops.ssm.ssm_managed_instance", "us-east-1", 2)]
    assert {host: stage["fleet"][host]["deregistration"] for host in ("node-a", "node-b")} == {"node-a": "deregistered", "node-b": "deregistered"}
    published = runner_events(runner, "playbook_on_stats")[0]["event_data"]["artifact_data"]["decommission_hybrid_node"]
    assert {host: (o["instance_id"], o["deregistration"]) for host, o in published.items()} == {
        "node-a": (reachable_id, "deregistered"),
        "node-b": (gone_id, "deregistered"),
    }
    log = control.log()
    ok_calls = [e for e in log if e["status"] == 200]
    assert sorted(e["params"]["InstanceId"] for e in ok_calls if e["operation"] == "DeregisterManagedInstance") == sorted([reachable_id, gone_id])
    assert [e["params"]["ActivationId"] for e in ok_calls if e["operation"] == "DeleteActivation"] == [seeded["activation_id"]]
    assert log and all(e["session_token_sent"] for e in log)
    assert not (root / REGISTRATION).exists()
    assert (artifacts / "status").read_text(encoding="utf-8") == "successful"

    secrets = [AWX_CREDENTIAL["AWS_SECRET_ACCESS_KEY"], AWX_CREDENTIAL["AWS_SECURITY_TOKEN"]]
    assert not [s for s in secrets if s in stdout or s in str(list(runner.events))]
    assert [f for f, s in _files_holding(tmp_path / "runner-decommission", secrets) if f != "artifacts/decommission/command"] == []
