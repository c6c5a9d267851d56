"""Shared fixtures: the tiny model for both engines, and one Spark session for the whole run."""
from __future__ import annotations

import pytest

from qa_helpers import resolve_model


@pytest.fixture(scope="session")
def tiny():
    return resolve_model("tiny")


@pytest.fixture(scope="session")
def spark():
    from qa_helpers.spark_session import get_spark

    return get_spark()


@pytest.fixture(scope="session")
def tiny_torch(tiny):
    from qa_helpers import transformers_engine

    return transformers_engine.load(tiny)
