"""The public schemas' documented examples are themselves valid (they cannot drift), and
timestamps always carry their offset."""

from __future__ import annotations

from datetime import datetime

import pytest

from pipelines.public import HitPublic, JobPublic, VideoPublic


@pytest.mark.parametrize("schema", [VideoPublic, HitPublic, JobPublic])
def test_examples_validate(schema: type[VideoPublic | HitPublic | JobPublic]) -> None:
    [example] = schema.model_json_schema()["examples"]
    assert schema.model_validate(example).model_dump(mode="json").keys() == example.keys()


def test_a_stored_timestamp_is_given_as_utc() -> None:
    [example] = VideoPublic.model_json_schema()["examples"]
    naive = VideoPublic.model_validate({**example, "created_at": datetime(2026, 1, 2, 3, 4, 5)})
    assert naive.model_dump(mode="json")["created_at"] == "2026-01-02T03:04:05Z"
