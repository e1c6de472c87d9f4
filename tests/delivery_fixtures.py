"""Fixtures for delivery tests (tests/delivery_world.py): load with
`pytest_plugins = ["delivery_fixtures"]`."""

from __future__ import annotations

from typing import AsyncIterator, Callable, Iterable, Iterator

import pytest

from delivery_world import MX, ZONE, World, safe_folder
from dnsserver import DNSServer
from sinks import loopback_port


@pytest.fixture(scope="module")
def dns() -> Iterator[DNSServer]:
    with DNSServer(ZONE) as server:
        yield server


@pytest.fixture
async def make_world(dns: DNSServer) -> AsyncIterator[Callable[..., World]]:
    """Worlds with aliases or options of their own, closed at the end."""
    made: list[World] = []

    def make(aliases: str = "", options: Iterable[str] = ()) -> World:
        made.append(World(safe_folder(), loopback_port(MX), dns.port, aliases, options))
        return made[-1]

    yield make
    for world in made:
        await world.close()


@pytest.fixture
def world(make_world: Callable[..., World]) -> World:
    return make_world()

