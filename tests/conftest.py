"""Shared by tests/endpoint and tests/integration: how pytest-xdist may spread their tests over workers.

``make test`` runs them with ``-n <workers> --dist loadgroup`` (tools/run_checks.py). A test that uses a fixture of module (or
class, or package) scope is put in one group with every other test of its file (or package), so that
fixture runs once, on one worker; every other test is spread on its own. A new test file needs nothing
for this. The session-scoped endpoint exists once per worker, and every test resets it.
"""

import pytest

WIDER_THAN_A_TEST = ("class", "module", "package")
_CPU_START = pytest.StashKey[float]()


# Longest first: xdist hands out work in collection order, so the files whose tests take longest (measured with
# --cpu-durations and --durations) start at once and the end of the run is not one long test on one worker.
# Stable: the order inside a file, and of every other file, stays as collected.
LONGEST_FIRST = (
    "integration/test_least_privilege.py",
    "integration/test_soak.py",
    "integration/test_targets.py",
    "integration/test_operator_safety.py",
    "integration/test_decommission_fleet.py",
    "integration/test_decommission_slices.py",
    "integration/test_cluster_members.py",
    "integration/test_decommission_host_steps_ssm.py",
    "integration/test_readme.py",
    "integration/test_roles.py",
    "integration/test_secrets.py",
    "integration/test_pacing.py",
    "integration/test_realistic_aws.py",
    "integration/test_find_hybrid_node.py",
    "integration/test_hybrid_nodes_inventory.py",
    "integration/test_awx.py",
    "integration/test_hybrid_nodes_awx.py",
    "integration/test_sweep_accounts.py",
    "integration/test_hybrid_nodes_accounts.py",
    "integration/test_bad_input.py",
)


def _rank(item):
    path = item.nodeid.split("::", 1)[0]
    return next((rank for rank, suffix in enumerate(LONGEST_FIRST) if path.endswith(suffix)), len(LONGEST_FIRST))


# The group is marked as each test is collected.
def pytest_itemcollected(item):
    if any(item.iter_markers("xdist_group")):
        return
    scopes = {defs[-1].scope for defs in item._fixtureinfo.name2fixturedefs.values() if defs}  # pylint: disable=protected-access
    if "package" in scopes:
        item.add_marker(pytest.mark.xdist_group(str(item.path.parent)))
    elif scopes & set(WIDER_THAN_A_TEST):
        item.add_marker(pytest.mark.xdist_group(str(item.path)))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Longest first (LONGEST_FIRST), then the groups where xdist reads them.

    xdist's worker names a test's group by appending "@group" to ``item._nodeid``; pytest 9 keeps the node ID in
    ``item._id`` (a NodeId), so that does nothing and every group was spread over the workers, its module-scoped
    fixture run on each (test_bad_input.py's 187-row playbook twice). Append it where pytest 9 reads it."""
    items.sort(key=_rank)
    if not getattr(config.option, "loadgroup", False):  # set on xdist workers only
        return
    from _pytest.nodeid import NodeId  # pylint: disable=import-outside-toplevel

    for item in items:
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")})
        if names and "@" not in item.nodeid.rsplit("]", 1)[-1] and isinstance(getattr(item, "_id", None), NodeId):
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(names)}")  # pylint: disable=protected-access


# --cpu-durations=N: the N tests that cost the most CPU seconds (their worker's own CPU, so the in-process endpoint
# serving them, plus the CLIs they ran), for balancing the suite on a shared machine where wall time says little.
def pytest_addoption(parser):
    parser.addoption("--cpu-durations", type=int, default=None, metavar="N", help="show the N tests that used the most CPU (0: all)")


def _cpu_seconds():
    import resource  # pylint: disable=import-outside-toplevel

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


_CPU_BY_TEST = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):  # pylint: disable=unused-argument
    item.stash[_CPU_START] = _cpu_seconds()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    if call.when == "teardown" and _CPU_START in item.stash:
        item.user_properties.append(("cpu_seconds", _cpu_seconds() - item.stash[_CPU_START]))
    yield


def pytest_runtest_logreport(report):
    if report.when == "teardown":
        for name, value in report.user_properties:
            if name == "cpu_seconds":
                _CPU_BY_TEST[report.nodeid] = value


def pytest_terminal_summary(terminalreporter, config):
    count = config.getoption("--cpu-durations")
    if count is None or not _CPU_BY_TEST:
        return
    ranked = sorted(_CPU_BY_TEST.items(), key=lambda pair: -pair[1])
    terminalreporter.write_sep("=", f"CPU seconds per test (setup to teardown), {len(ranked)} tests, {sum(_CPU_BY_TEST.values()):.1f}s in all")
    by_file = {}
    for nodeid, seconds in ranked:
        by_file[nodeid.split("::")[0]] = by_file.get(nodeid.split("::")[0], 0.0) + seconds
    for path, seconds in sorted(by_file.items(), key=lambda pair: -pair[1]):
        terminalreporter.write_line(f"{seconds:8.1f}s  {path}")
    terminalreporter.write_line("")
    for nodeid, seconds in ranked[: count or None]:
        terminalreporter.write_line(f"{seconds:8.1f}s  {nodeid}")
