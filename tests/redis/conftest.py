"""A real Redis for the shared-budget tests: the suite's ``redis_url`` (tests/conftest.py),
and a key of each test's own (``key``), so tests never share a budget.
"""

from __future__ import annotations

import uuid

import pytest

from .._redis_server import free_port, redis_server

__all__ = ["free_port", "key", "redis_server"]


@pytest.fixture
def key(request: pytest.FixtureRequest) -> str:
    """A budget name used by this test only."""
    return f"test:{request.node.name}:{uuid.uuid4().hex[:8]}"
