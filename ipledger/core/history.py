"""Retention of utilization history: which samples downsampling keeps, by age.

A series is stored as a step function: a sample is written when utilization changes (and by the
periodic sampler when it finds a change), and holds until the next one. Thinning it therefore
keeps the *last* sample of each bucket, the value the bucket ended with. Samples younger than
``raw`` are all kept; up to ``hourly`` one per hour; up to ``daily`` one per day; older ones are
dropped (the service keeps a series' latest sample whatever its age: it is the present value).

The defaults (raw 7 days, hourly 30 days, daily 3 years) keep at most 7 x 24 + 23 x 24 + 335 =
1,055 samples a year for a subject that changes every hour, and one a change for a quiet one; the
README works out what that means for 10,000 prefixes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ipledger.core.errors import InvalidInputError

__all__ = ["DEFAULT_RETENTION", "Retention", "samples_to_drop"]


@dataclass(frozen=True, slots=True)
class Retention:
    raw: timedelta = timedelta(days=7)
    hourly: timedelta = timedelta(days=30)
    daily: timedelta = timedelta(days=3 * 366)

    def __post_init__(self) -> None:
        if not timedelta(0) <= self.raw <= self.hourly <= self.daily:
            raise InvalidInputError(
                f"retention raw {self.raw}, hourly {self.hourly}, daily {self.daily}: "
                "expected 0 <= raw <= hourly <= daily"
            )


DEFAULT_RETENTION = Retention()


def _bucket(at: datetime, *, now: datetime, retention: Retention) -> datetime | None:
    """The start of the bucket ``at`` falls in; ``at`` itself when raw; None when too old."""
    age = now - at
    if age < retention.raw:
        return at
    if age < retention.hourly:
        return at.replace(minute=0, second=0, microsecond=0)
    if age < retention.daily:
        return at.replace(hour=0, minute=0, second=0, microsecond=0)
    return None


def samples_to_drop(
    samples: Sequence[tuple[int, datetime]], *, now: datetime, retention: Retention = DEFAULT_RETENTION
) -> list[int]:
    """The ids of one series' samples (id, time) that retention drops, in id order.

    Each bucket keeps its latest sample (ties: the highest id); samples newer than ``raw`` are
    never dropped, so a series always keeps its present value.
    """
    kept: dict[datetime, tuple[datetime, int]] = {}
    dropped: list[int] = []
    for sample_id, at in samples:
        bucket = _bucket(at, now=now, retention=retention)
        if bucket is None:
            dropped.append(sample_id)
            continue
        best = kept.get(bucket)
        if best is None or (at, sample_id) > best:
            if best is not None:
                dropped.append(best[1])
            kept[bucket] = (at, sample_id)
        else:
            dropped.append(sample_id)
    return sorted(dropped)
