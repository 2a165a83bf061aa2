"""Secrets: the secret key and the session token never show, at -vvvv, on success and on failure paths.

Distinctive dummy credentials go to every module - as module options (access_key, secret_key,
session_token), as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, and as AWX injects
them (AWS_SECURITY_TOKEN instead of AWS_SESSION_TOKEN) - and to both roles' playbooks, at -vvvv.
The module tour changes state (tags, role, cancel with wait, deregister with wait, activation
deleted), reads with botocore's endpoint logs on, and fails three ways: an unknown command, a
endpoint that refuses the connection (a botocore error, reported with its traceback; a dropped connection
would not do, since the modules retry it) and bad input.
Scanned: stdout, stderr, every registered return value (written to a file by the playbook), and
through ansible-runner its events and every file it leaves.

Known finding, by ansible-runner's design (2.4.3, ansible_runner/runner.py run()): the job's launch
environment is written to artifacts/<ident>/command (mode 0600), unconditionally. So when AWX hands
the credentials over as ENVIRONMENT, that one file holds them; AWX deletes the private data dir after
the job. Given as module options, no artifact holds them at all.

Every run also proves the token was really used: every request the endpoint logged carried it
(``session_token_sent``).
"""

import json
import stat

import pytest

from conftest import MODULE_PYTHON
from conftest import run_cli
from conftest import run_runner
from conftest import runner_events
from conftest import send_long_command
from hostroot import REGISTRATION
from hostroot import make_host_root

ACCESS_KEY = "AKIAHYBRIDOPSLEAKTEST"
SECRET_KEY = "hybridops-leak-test-secret-5c1e8a"
SESSION_TOKEN = "hybridops-leak-test-token-b7d40f"
AWX_SECRET_KEY = "hybridops-leak-test-awx-secret-41f7"
AWX_TOKEN = "hybridops-leak-test-awx-token-e93a2c"
SECRETS = (SECRET_KEY, SESSION_TOKEN, AWX_SECRET_KEY, AWX_TOKEN)

OPTIONS = {"access_key": ACCESS_KEY, "secret_key": SECRET_KEY, "session_token": SESSION_TOKEN}
ENVIRONMENT = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_SESSION_TOKEN": SESSION_TOKEN}
AWX = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": AWX_SECRET_KEY, "AWS_SECURITY_TOKEN": AWX_TOKEN}
CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE")
UNKNOWN_COMMAND = "00000000-0000-4000-8000-000000000000"


def leaks(text):
    return [secret for secret in SECRETS if secret in text]


def files_holding_secrets(directory):
    """(path relative to ``directory``, secret) for every file under it that holds one."""
    found = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        found.extend((str(path.relative_to(directory)), secret) for secret in leaks(path.read_bytes().decode("utf-8", "replace")))
    return found


def without_credentials(env):
    """``env`` without any credential, and with every traceback shown (error paths print the most)."""
    return dict({name: value for name, value in env.items() if name not in CREDENTIAL_VARIABLES}, ANSIBLE_DISPLAY_TRACEBACK="always")


@pytest.fixture
def scene(control, endpoint):
    """Three nodes of one activation, a long command in flight on the second; invocations move every 0.1 s."""
    seeded = control.seed_nodes(count=3, name_prefix="leak", ping_status="Online")
    command_id = send_long_command(endpoint.url, [seeded["instance_ids"][1]])
    control.set_invocation(command_id, outcome="Success", duration_steps=1_000_000)  # in flight until cancelled, however slow the run
    control.set_clock(mode="realtime", step_interval=0.1)
    control.advance(10)  # past the moment SSM lists a new command only later
    control.clear_log()  # the setup's own calls carry no token
    return {"nodes": seeded["instance_ids"], "activation_id": seeded["activation_id"], "command_id": command_id}


def module_tour(scene, credentials, results_file):
    """Every module, changing and reading, then three failures; every result written to ``results_file``."""
    first, second, _third = scene["nodes"]
    tasks = [
        ("info", "ssm_managed_instance_info", {"debug_botocore_endpoint_logs": True}),
        ("present", "ssm_managed_instance", {"instance_ids": [first], "iam_role": "LeakTestRole", "tags": {"Env": "leak-test"}, "purge_tags": True}),
        ("cancel", "ssm_command", {"instance_ids": [second], "wait": True, "wait_timeout": 60, "poll_interval": 0.2}),
        ("commands", "ssm_command_info", {"command_id": scene["command_id"], "include_invocations": True, "details": True}),
        ("absent", "ssm_managed_instance", {"instance_ids": [first], "state": "absent", "wait": True, "wait_timeout": 60}),
        ("activation", "ssm_activation", {"activation_ids": [scene["activation_id"]], "only_if_unused": False}),
        ("unknown_command", "ssm_command", {"command_id": UNKNOWN_COMMAND}),
        (
            "unreachable",
            "ssm_managed_instance_info",
            {"instance_ids": [second], "endpoint_url": "http://127.0.0.1:1", "aws_config": {"retries": {"total_max_attempts": 1}}},
        ),
        ("bad_input", "ssm_managed_instance", {"instance_ids": ["i-0123456789abcdef0"], "state": "absent"}),
    ]
    failing = {"unknown_command", "unreachable", "bad_input"}
    play_tasks = []
    for name, module, args in tasks:
        task = {"name": f"{module}: {name}", f"hybridops.ssm.{module}": {**credentials, **args}, "register": name}
        if name in failing:
            task["ignore_errors"] = True
        play_tasks.append(task)
    play_tasks.append(
        {
            "name": "Write every registered result",
            "ansible.builtin.copy": {
                "dest": str(results_file),
                "mode": "0600",
                "content": "{{ {" + ", ".join(f"'{n}': {n}" for n, _m, _a in tasks) + "} | to_json }}",
            },
        }
    )
    return [{"name": "Every module, with credentials", "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": play_tasks}]


def write_tour(tmp_path, scene, credentials):
    results = tmp_path / "results.json"
    playbook = tmp_path / "tour.yml"
    playbook.write_text(json.dumps(module_tour(scene, credentials, results)), encoding="utf-8")
    return playbook, results


def check_tour(results_file, scene):
    """The tour really went down every path: changes made, failures where meant, the botocore error with its traceback."""
    results = json.loads(results_file.read_text(encoding="utf-8"))
    assert not leaks(json.dumps(results)), "a registered return value holds a secret"
    for name in ("present", "cancel", "absent", "activation"):
        assert results[name]["changed"] is True and not results[name].get("failed"), (name, results[name])
    assert [i["status"] for c in results["commands"]["commands"] for i in c["invocations"]] == ["Cancelled"]
    assert results["unknown_command"]["failed"] and f"no command '{UNKNOWN_COMMAND}'" in results["unknown_command"]["msg"]
    assert results["unreachable"]["failed"] and "EndpointConnectionError" in json.dumps(results["unreachable"]), results["unreachable"]
    assert results["bad_input"]["failed"] and "is an EC2 instance" in results["bad_input"]["msg"]
    assert scene["nodes"][0] in {o["instance_id"] for o in results["absent"]["outcomes"] if o["outcome"] == "deregistered"}
    return results


def check_token_sent(log, operations=("DescribeInstanceInformation", "DeregisterManagedInstance", "CancelCommand", "DeleteActivation")):
    assert log, "no request reached the endpoint"
    assert all(entry["session_token_sent"] for entry in log), [(e["operation"], e["session_token_sent"]) for e in log]
    assert set(operations) <= {entry["operation"] for entry in log}


@pytest.mark.parametrize("mode", ["options", "environment"])
def test_module_tour_at_vvvv_shows_no_secret(mode, scene, control, endpoint, ansible_env, tmp_path):
    """ansible-playbook -vvvv, credentials as module options or as AWS_* environment variables."""
    env = without_credentials(ansible_env)
    if mode == "environment":
        env.update(ENVIRONMENT)
    playbook, results = write_tour(tmp_path, scene, OPTIONS if mode == "options" else {})
    run = run_cli(["ansible-playbook", "-vvvv", str(playbook)], env)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in run.stdout and "EndpointConnectionError" in run.stdout  # -vvvv shows args and tracebacks
    assert not leaks(run.stdout) and not leaks(run.stderr)
    check_tour(results, scene)
    check_token_sent(control.log())


@pytest.mark.parametrize("mode", ["options", "awx"])
def test_module_tour_through_runner(mode, scene, control, endpoint, runner_env, tmp_path):
    """ansible-runner at verbosity 4, as AWX runs a job: credentials as module options (no artifact may hold them)
    or as AWX's credential injects them (only runner's own artifacts/IDENT/command holds them, owner-only)."""
    playbook, results = write_tour(tmp_path, scene, OPTIONS if mode == "options" else {})
    envvars = {"AWS_REGION": "us-east-1", "AWS_URL": endpoint.url, "ANSIBLE_DISPLAY_TRACEBACK": "always", **(AWX if mode == "awx" else {})}
    runner, artifacts = run_runner(tmp_path, runner_env, envvars=envvars, ident=mode, playbook=str(playbook), verbosity=4)
    stdout = runner.stdout.read()
    assert (runner.status, runner.rc) == ("successful", 0), stdout[-6000:]
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in stdout and "EndpointConnectionError" in stdout
    assert not leaks(stdout)
    assert not leaks(json.dumps(list(runner.events)))
    failed = {e["event_data"]["task"] for e in runner_events(runner, "runner_on_failed")}
    assert failed == {"ssm_command: unknown_command", "ssm_managed_instance_info: unreachable", "ssm_managed_instance: bad_input"}
    check_tour(results, scene)
    check_token_sent(control.log())

    found = files_holding_secrets(artifacts.parent.parent)
    if mode == "options":
        assert found == []
    else:
        command = artifacts / "command"
        assert found == [(f"artifacts/{mode}/command", AWX_SECRET_KEY), (f"artifacts/{mode}/command", AWX_TOKEN)]
        assert stat.S_IMODE(command.stat().st_mode) == 0o600
        assert "AWS_SECURITY_TOKEN" in json.loads(command.read_text(encoding="utf-8"))["env"]


def test_decommission_playbook_at_vvvv_shows_no_secret(control, endpoint, ansible_env, tmp_path):
    """hybridops.ssm.decommission -vvvv with a session token in the environment: command cancelled, node gone, activation deleted."""
    node = control.seed_nodes(count=1, name_prefix="leak")
    command_id = send_long_command(endpoint.url, node["instance_ids"])
    control.set_invocation(command_id, outcome="Success", duration_steps=1_000_000)  # in flight until cancelled, however slow the run
    control.set_clock(mode="realtime", step_interval=0.1)
    control.advance(10)  # past the moment SSM lists a new command only later
    root = make_host_root(tmp_path / "node", node["instance_ids"][0])
    inventory = tmp_path / "inventory.ini"
    inventory.write_text(
        f"[hybrid_nodes]\nnode ansible_connection=local ansible_python_interpreter={MODULE_PYTHON} decommission_hybrid_node_root={root}\n",
        encoding="utf-8",
    )
    control.clear_log()
    env = dict(without_credentials(ansible_env), **ENVIRONMENT)
    run = run_cli(
        [
            "ansible-playbook",
            "-vvvv",
            "hybridops.ssm.decommission",
            "-i",
            str(inventory),
            "-e",
            "decommission_hosts=hybrid_nodes",
            "-e",
            "decommission_hybrid_node_become=false",
            "-e",
            "decommission_hybrid_node_delete_activation=true",
            "-e",
            "decommission_hybrid_node_command_poll_interval=0.2",
        ],
        env,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert not leaks(run.stdout) and not leaks(run.stderr)
    assert not (root / REGISTRATION).exists()
    log = control.log()
    # "-e name=true" hands the role the string 'true': the activation step still runs
    check_token_sent(log, operations=("DescribeInstanceInformation", "CancelCommand", "DeregisterManagedInstance", "DeleteActivation"))


def test_sweep_playbook_at_vvvv_shows_no_secret(control, ansible_env):
    """hybridops.ssm.sweep_stale -vvvv with AWX's credential variables (AWS_SECURITY_TOKEN)."""
    stale = control.seed_nodes(count=2, name_prefix="leak", ping_status="ConnectionLost", last_ping_days_ago=45)["instance_ids"]
    control.clear_log()
    env = dict(without_credentials(ansible_env), **AWX)
    run = run_cli(["ansible-playbook", "-vvvv", "hybridops.ssm.sweep_stale", "-e", "sweep_stale_hybrid_nodes_cluster_checks=false"], env)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert not leaks(run.stdout) and not leaks(run.stderr)
    log = control.log()
    assert sorted(e["params"]["InstanceId"] for e in log if e["operation"] == "DeregisterManagedInstance") == sorted(stale)
    check_token_sent(log, operations=("DescribeInstanceInformation", "DeregisterManagedInstance"))
