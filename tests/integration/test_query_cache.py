"""The query-vector cache is kept per owner: how fast a search answers never tells one user
what another has just asked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipelines.library import Library
from pipelines.retrieval.embed import query_vector
from tests.support.library import make_settings

pytestmark = pytest.mark.slow


def test_a_query_is_remembered_for_its_owner_only(tmp_path: Path) -> None:
    with Library(make_settings(tmp_path / "lib")) as library:
        alice, bob = library.for_owner("alice0001"), library.for_owner("bob00001")
        query_vector.cache_clear()
        asked = alice.embed_query("how do we pay for the batteries")
        assert query_vector.cache_info().misses == 1
        # Bob's same words are computed afresh (a hit would answer faster: a timing hint).
        again = bob.embed_query("how do we pay for the batteries")
        assert query_vector.cache_info().hits == 0 and query_vector.cache_info().misses == 2
        assert np.array_equal(asked, again)
        alice.embed_query("how do we pay for the batteries")  # her own repeat is remembered
        assert query_vector.cache_info().hits == 1
