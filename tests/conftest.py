"""Shared by tests/endpoint and tests/integration: how pytest-xdist may spread their tests over workers.

``make test`` runs them with ``-n <CPUs> --dist loadgroup``. A test that uses a fixture of module (or
class, or package) scope is put in one group with every other test of its file (or package), so that
fixture runs once, on one worker; every other test is spread on its own. A new test file needs nothing
for this. The session-scoped endpoint exists once per worker, and every test resets it.
"""

import pytest

WIDER_THAN_A_TEST = ("class", "module", "package")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items):
    for item in items:
        if any(item.iter_markers("xdist_group")):
            continue
        scopes = {defs[-1].scope for defs in item._fixtureinfo.name2fixturedefs.values() if defs}  # pylint: disable=protected-access
        if "package" in scopes:
            item.add_marker(pytest.mark.xdist_group(str(item.path.parent)))
        elif scopes & set(WIDER_THAN_A_TEST):
            item.add_marker(pytest.mark.xdist_group(str(item.path)))
