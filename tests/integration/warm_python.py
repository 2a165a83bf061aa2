"""A warm Python for the module runs of the integration tests: the same interpreter, its imports done once.

ansible-playbook starts a new Python for each module task, and most of that process's CPU goes to importing
boto3, botocore and ansible's module_utils: about 0.25 s of 0.4 s a run here. The suite runs about a
thousand module tasks on two CPUs, so the tests point ``ansible_python_interpreter`` at ``python``, a client
written by ``ensure()``, which hands its ``python FILE ARGS`` to a server that has imported those libraries
once and forks a child per run. The child runs FILE as ``python FILE ARGS`` would: its arguments,
environment, working directory, umask, standard streams (the client's own, passed over the socket) and exit
status. What is imported beforehand comes from the same ansible-core and boto3 as a cold run; the module's
own code and the collections' module_utils still come from the AnsiballZ payload, so one left out of the
payload still fails here. Anything else the client is asked (a flag, ``-c``, a script on standard input) and
any run while the server is gone goes to the real Python. tests/smoke/smoke.yml (make matrix, the smoke check)
runs its modules cold.

HYBRIDOPS_TEST_COLD_PYTHON=1 turns it off.

    python warm_python.py serve SOCKET     (the server; ensure() starts it)
"""

import atexit
import json
import os
import runpy
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ENV_CLIENT = "HYBRIDOPS_WARM_PYTHON"
ENV_OFF = "HYBRIDOPS_TEST_COLD_PYTHON"
# What a module run imports before its own code: boto3 alone is 0.13 s, ansible's module_utils.basic 0.09 s.
PRELOAD = (
    "ansible.module_utils.basic",
    "boto3",
    "boto3.session",
    "botocore.session",
    "botocore.client",
    "botocore.config",
    "botocore.exceptions",
    "botocore.waiter",
    "dateutil.parser",
)
HEADER = struct.Struct("!I")
STATUS = struct.Struct("!i")

CLIENT = """#!{real} -IS
# The client of tests/integration/warm_python.py (written by it): "python FILE ARGS" runs in a warm child.
import os, socket, struct, sys, json
REAL, SOCKET = {real!r}, {socket!r}
args = sys.argv[1:]
if not args or args[0].startswith("-") or not os.path.isfile(args[0]):
    os.execv(REAL, [REAL, *args])
try:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.connect(SOCKET)
except OSError:
    os.execv(REAL, [REAL, *args])
umask = os.umask(0)
os.umask(umask)
request = json.dumps({{"argv": args, "cwd": os.getcwd(), "env": dict(os.environ), "umask": umask}}).encode()
socket.send_fds(server, [struct.pack({header!r}, len(request))], [0, 1, 2])
server.sendall(request)
answer = b""
while len(answer) < {status_size}:
    chunk = server.recv({status_size} - len(answer))
    if not chunk:
        sys.exit(1)  # the child died without a status
    answer += chunk
sys.exit(struct.unpack({status!r}, answer)[0])
"""


def _receive(connection):
    header, fds, _flags, _address = socket.recv_fds(connection, HEADER.size, 3)
    while len(header) < HEADER.size:
        header += connection.recv(HEADER.size - len(header))
    (size,) = HEADER.unpack(header)
    body = b""
    while len(body) < size:
        chunk = connection.recv(size - len(body))
        if not chunk:
            raise EOFError("the client went away")
        body += chunk
    return json.loads(body), fds


def _exit_status(code):
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _run(connection):
    """In the forked child: become the client's ``python FILE ARGS``, then send its exit status."""
    status = 1
    try:
        request, fds = _receive(connection)
        for target, fd in zip((0, 1, 2), fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.umask(request["umask"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = list(request["argv"])
        sys.path[0] = os.path.dirname(os.path.abspath(sys.argv[0]))
        try:
            runpy.run_path(sys.argv[0], run_name="__main__")
            status = 0
        except SystemExit as done:
            status = _exit_status(done.code)
        except BaseException:  # pylint: disable=broad-exception-caught  # as a Python would: the traceback, status 1
            traceback.print_exc()
            status = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        try:
            connection.sendall(STATUS.pack(status))
        finally:
            os._exit(status)  # pylint: disable=protected-access  # not the server's atexit


def _reap(_signum, _frame):
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def serve(path):
    for name in PRELOAD:
        try:
            __import__(name)
        except ImportError:
            pass
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(128)
    signal.signal(signal.SIGCHLD, _reap)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))  # pylint: disable=protected-access
    while True:
        connection, _address = listener.accept()
        if os.fork() == 0:
            listener.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            _run(connection)
        connection.close()


def ensure(real):
    """The interpreter path module runs use: the warm client (started once per pytest session), or ``real``."""
    if os.environ.get(ENV_OFF):
        return str(real)
    if os.environ.get(ENV_CLIENT):
        return os.environ[ENV_CLIENT]
    directory = Path(tempfile.mkdtemp(prefix="hybridops-warm-"))
    path = directory / "socket"
    server = subprocess.Popen([str(real), __file__, "serve", str(path)], start_new_session=True)  # pylint: disable=consider-using-with
    atexit.register(_stop, server, directory)
    deadline = time.monotonic() + 30
    while not path.exists():
        if server.poll() is not None or time.monotonic() > deadline:
            return str(real)
        time.sleep(0.02)
    client = directory / "python"
    client.write_text(CLIENT.format(real=str(real), socket=str(path), header=HEADER.format, status=STATUS.format, status_size=STATUS.size), encoding="utf-8")
    client.chmod(0o755)
    os.environ[ENV_CLIENT] = str(client)
    return str(client)


def _stop(server, directory):
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
    for item in directory.iterdir():
        item.unlink()
    directory.rmdir()


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(sys.argv[2])
