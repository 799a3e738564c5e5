"""The exception hierarchy: what each error is a kind of, and what it carries."""

from __future__ import annotations

import pytest

from ipledger.core.errors import (
    ConflictError,
    ExhaustedError,
    FamilyMismatchError,
    InvalidInputError,
    LedgerError,
    NotFoundError,
    StaleVersionError,
)


@pytest.mark.parametrize(
    ("error", "bases"),
    [
        pytest.param(InvalidInputError, (LedgerError, ValueError), id="invalid-input"),
        pytest.param(FamilyMismatchError, (InvalidInputError, LedgerError, ValueError), id="family-mismatch"),
        pytest.param(ConflictError, (LedgerError,), id="conflict"),
        pytest.param(ExhaustedError, (LedgerError,), id="exhausted"),
        pytest.param(NotFoundError, (LedgerError,), id="not-found"),
        pytest.param(StaleVersionError, (LedgerError,), id="stale-version"),
    ],
)
def test_errors_subclass_their_documented_bases(
    error: type[Exception], bases: tuple[type[Exception], ...]
) -> None:
    assert all(issubclass(error, base) for base in bases)


@pytest.mark.parametrize(
    "error",
    [InvalidInputError, FamilyMismatchError, ConflictError, ExhaustedError, NotFoundError, StaleVersionError],
    ids=lambda error: error.__name__,
)
def test_errors_are_not_retryable_by_default(error: type[LedgerError]) -> None:
    assert error.retryable is False


def test_conflict_error_carries_the_existing_object() -> None:
    existing = object()

    error = ConflictError("10.0.0.0/24 overlaps 10.0.0.0/16", existing=existing)

    assert (str(error), error.existing) == ("10.0.0.0/24 overlaps 10.0.0.0/16", existing)


def test_conflict_error_existing_defaults_to_none() -> None:
    assert ConflictError("clash").existing is None


def test_stale_version_error_carries_the_current_object() -> None:
    current = {"version": 3}

    error = StaleVersionError("prefix 7 is at version 3, not 2", current=current)

    assert (str(error), error.current) == ("prefix 7 is at version 3, not 2", current)


def test_stale_version_error_current_defaults_to_none() -> None:
    assert StaleVersionError("stale").current is None
