"""Shared fixtures: the example form, fresh settings, a fresh workspace."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "templates" / "forms" / "example.yaml"
# The product's own form (shared/docs/deal-form.yaml beside the checkout); tests/data holds a copy for a machine
# without it, and a test keeps the copy true.
SHARED_ORIGINAL = next((p / "shared" / "docs" / "deal-form.yaml" for p in REPO.parents
                        if (p / "shared" / "docs" / "deal-form.yaml").is_file()), None)
SHARED_FORM = REPO / "tests" / "data" / "deal-form.yaml"
TODAY = dt.date(2026, 11, 26)


@pytest.fixture(scope="session")
def example_data_pristine() -> dict:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


@pytest.fixture
def example_data(example_data_pristine) -> dict:
    """A deep copy of the example form's data, free to spoil."""
    return copy.deepcopy(example_data_pristine)


@pytest.fixture
def settings(tmp_path):
    from docgen.settings import load_settings

    return load_settings(tmp_path, {})


class ManualClock:
    """A clock the test moves by hand, for back-off and schedules without waiting."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


# The throw-away PostgreSQL server and the per-engine fixtures (pg_server, pg_url, store_url): tests/pg_kit.py.
from pg_kit import pg_server, pg_url, store_url  # noqa: E402, F401
