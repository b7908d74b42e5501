"""The anyio backend of the client's async tests (their helpers are in support.py)."""
import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
