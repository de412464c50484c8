"""Fixtures for the flow tests: the default flows, a runner and a chat driver."""

from __future__ import annotations

import pytest
from flow_chat import Chat

from flows.loader import load_default_flowset
from flows.runner import FlowRunner


@pytest.fixture(scope="session")
def default_flowset():
    return load_default_flowset()


@pytest.fixture
def runner(default_flowset) -> FlowRunner:
    return FlowRunner(default_flowset)


@pytest.fixture
def chat(runner) -> Chat:
    return Chat(runner)
