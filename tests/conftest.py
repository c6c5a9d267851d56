"""Shared fixtures: the tiny model for both engines, and one Spark session for the whole run.

Tiers: a test that uses the ``spark`` fixture or runs with ``engine="spark"`` is marked ``spark``;
``make unit`` runs what is neither ``spark`` nor ``slow``, and fails any test there that starts
a JVM without saying so.
"""
from __future__ import annotations

import pytest

from qa_helpers import resolve_model


def _uses_spark(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return "spark" in getattr(item, "fixturenames", ()) or (callspec is not None and callspec.params.get("engine") == "spark")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _uses_spark(item):
            item.add_marker(pytest.mark.spark)


@pytest.fixture(autouse=True)
def _spark_only_where_marked(request, monkeypatch):
    """Outside ``spark`` tests, starting a JVM is an error that names the missing marker."""
    if request.node.get_closest_marker("spark") is None:
        def refuse(*args, **kwargs):
            raise AssertionError(f"{request.node.nodeid} starts Spark: give it the `spark` fixture or mark it `spark`")

        monkeypatch.setattr("pyspark.java_gateway.launch_gateway", refuse)


@pytest.fixture(scope="session")
def tiny():
    return resolve_model("tiny")


@pytest.fixture(scope="session")
def spark():
    from qa_helpers.engines.spark_session import get_spark

    return get_spark()


@pytest.fixture(scope="session")
def tiny_torch(tiny):
    from qa_helpers.engines import transformers_engine

    return transformers_engine.load(tiny)


@pytest.fixture(scope="session")
def tiny_layers(tiny_torch) -> int:
    """The tiny model's encoder layer count (the int8 tests group its quantised nodes by layer)."""
    return tiny_torch[1].config.num_hidden_layers


@pytest.fixture(scope="session")
def two_pairs() -> list[tuple[str, str]]:
    """Two short (question, context) pairs, in two languages: the int8 and smoothing tests' input."""
    return [("Who wrote the book?", "The book was written by Maria Lopez in 1990."),
            ("Wo liegt Berlin?", "Berlin liegt in Deutschland, an der Spree.")]
