"""The user-facing pytest plugin, exercised the way a user's suite would use it."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = """
import pytest

from avala import AsyncClient, Client, ServerError
from avala.testing import Fault

pytest_plugins = ["avala.testing.pytest_plugin"]


def count_datasets() -> int:  # "application code": builds its client from the environment
    with Client() as client:
        return len(list(client.datasets.list()))


def test_env_points_at_server(avala_env):
    assert count_datasets() >= 4


def test_sync_client(avala_client):
    assert avala_client.projects.list().items


def test_faults_reach_user_code(avala_server, avala_client):
    boom = Fault.status(500, path="/users/me/projects/")
    avala_server.state.faults.push(boom, boom)  # the second one is left pending
    with pytest.raises(ServerError):
        avala_client.with_options(max_retries=0).projects.list()


def test_faults_are_cleared_between_tests(avala_client):
    assert avala_client.with_options(max_retries=0).projects.list().items


async def test_async_client(avala_async_client):
    assert isinstance(avala_async_client, AsyncClient)
    page = await avala_async_client.tasks.list(limit=3)
    assert len(page.items) == 3
"""


def test_plugin_fixtures_work_in_a_user_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
        "filterwarnings = error\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)
