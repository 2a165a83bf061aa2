"""`make demo`: a local SSM endpoint with a simulated hybrid fleet, decommissioned by the real modules.

Starts the endpoint as its own process, seeds a dozen nodes over two
activations (some online, some lost for weeks), runs tools/demo.yml with
ansible-playbook twice (the second run shows nothing left to change), and
stops the endpoint. Nothing here talks to AWS.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT / "tests"))

from ssm_endpoint import EndpointControl  # noqa: E402  pylint: disable=wrong-import-position


def start_endpoint(url_file):
    url_file.unlink(missing_ok=True)
    process = subprocess.Popen(  # pylint: disable=consider-using-with
        [str(BIN / "python"), "-m", "ssm_endpoint", "--port", "0", "--port-file", str(url_file), "--realtime", "--step-interval", "1"],
        cwd=ROOT / "tests",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not url_file.exists() or not url_file.read_text().strip():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the local SSM endpoint did not start")
        time.sleep(0.1)
    return process, url_file.read_text().strip()


def seed(control):
    control.reset()
    online = control.seed_nodes(count=8, name_prefix="store", ping_status="Online", tags={"Site": "stores"})
    lost = control.seed_nodes(count=4, name_prefix="kiosk", ping_status="ConnectionLost", last_ping_days_ago=45, tags={"Site": "kiosks"})
    return online["instance_ids"], lost["instance_ids"]


def main():
    build = ROOT / "build"
    build.mkdir(exist_ok=True)
    process, url = start_endpoint(build / "demo-endpoint.url")
    try:
        control = EndpointControl(url)
        online, _lost = seed(control)
        print(f"Local SSM endpoint at {url}: 12 hybrid nodes over two activations, 8 online, 4 lost 45 days ago.\n")
        env = dict(
            os.environ,
            AWS_ACCESS_KEY_ID="AKIDDEMO",
            AWS_SECRET_ACCESS_KEY="demo-secret",
            AWS_REGION="us-east-1",
            ANSIBLE_COLLECTIONS_PATH=str(build / "collections"),
            ANSIBLE_PYTHON_INTERPRETER=str(BIN / "python"),
            ANSIBLE_LOCALHOST_WARNING="False",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
            ANSIBLE_CALLBACK_RESULT_FORMAT="yaml",
            ANSIBLE_DISPLAY_SKIPPED_HOSTS="False",
        )
        command = [str(BIN / "ansible-playbook"), str(ROOT / "tools" / "demo.yml"), "-e", json.dumps({"endpoint_url": url, "retire": online[:2]})]
        for run in ("first run", "second run: nothing left to change"):
            print(f"\n######## decommission job, {run}\n", flush=True)
            if subprocess.call(command, env=env) != 0:
                return 1
        mutating = [e for e in control.log() if e["operation"] in ("DeregisterManagedInstance", "CancelCommand") and e["status"] == 200]
        print(f"\nEndpoint log: {len(control.log())} SSM calls, {len(mutating)} deregistrations (2 retired + 4 stale), none on the second run.")
        return 0
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
