"""Start ``python -m ssm_endpoint`` as a process and learn its URL: the one way tools and tests do it.

Standard library only (tools/matrix loads this file by path, without importing moto). Each start gets its own
port file in a new temporary folder, so two runs on one machine never read or reset each other's endpoint.
"""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent


class EndpointProcess:
    """A started endpoint process: ``url``, ``process``, ``port_file``; ``stop()`` ends it and removes the folder."""

    def __init__(self, process: subprocess.Popen, url: str, folder: str) -> None:
        self.process = process
        self.url = url
        self.folder = folder
        self.port_file = os.path.join(folder, "url")

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM, then SIGKILL after ``timeout`` seconds; returns the exit status."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
        return self.process.returncode


def start(python: str | os.PathLike, *args: str, timeout: float = 120, **popen) -> EndpointProcess:
    """Run ``python -m ssm_endpoint ARGS --port-file <new temp folder>/url``; wait until the URL is written.

    ``popen`` goes to subprocess.Popen (stdout, stderr, env); PYTHONPATH gets the tests folder. Raises
    RuntimeError when the process ends or ``timeout`` (a start-up guard: importing moto is slow on a loaded
    machine) passes first.
    """
    folder = tempfile.mkdtemp(prefix="ssm-endpoint-")
    port_file = Path(folder) / "url"
    env = dict(popen.pop("env", None) or os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(TESTS), env.get("PYTHONPATH", "")) if p)
    command = [str(python), "-m", "ssm_endpoint", "--port", "0", *map(str, args), "--port-file", str(port_file)]
    process = subprocess.Popen(command, env=env, **popen)  # pylint: disable=consider-using-with  # EndpointProcess.stop ends it
    deadline = time.monotonic() + timeout
    while not (port_file.exists() and port_file.read_text(encoding="utf-8").strip()):
        if process.poll() is not None or time.monotonic() > deadline:
            EndpointProcess(process, "", folder).stop()
            raise RuntimeError(f"the local SSM endpoint did not start (exit status {process.returncode})")
        time.sleep(0.05)
    return EndpointProcess(process, port_file.read_text(encoding="utf-8").strip(), folder)
