from __future__ import annotations

import pytest

from tests.factories import World, make_world


@pytest.fixture
def world(db) -> World:
    """Two teams with a case manager, co-worker, supervisors, an outsider and an admin; two resources."""
    return make_world(db)
