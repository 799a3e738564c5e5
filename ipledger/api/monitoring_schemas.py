"""Bodies of the monitoring API: utilization history, forecasts, standing findings, webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from ipledger.api.schemas import Strict
from ipledger.core.forecast import Forecast, Sample
from ipledger.service.history import Subject, SubjectForecast
from ipledger.service.standing_findings import FindingRecord
from ipledger.service.webhooks import DeliveryRecord, WebhookRecord

Severity = Literal["info", "warning", "critical", "emergency"]


class SubjectRead(BaseModel):
    kind: str = Field(description="prefix, range or cluster")
    id: int
    label: str
    group: str | None

    @classmethod
    def of(cls, subject: Subject) -> SubjectRead:
        return cls(kind=subject.kind, id=subject.id, label=subject.label, group=subject.group)


class SampleRead(BaseModel):
    at: datetime
    used: int
    total: int
    percent: float

    @classmethod
    def of(cls, sample: Sample) -> SampleRead:
        return cls(at=sample.at, used=sample.used, total=sample.total, percent=round(sample.percent, 3))


class HistoryRead(BaseModel):
    """A series: each sample holds until the next one."""

    subject: SubjectRead
    samples: list[SampleRead]


class CrossingRead(BaseModel):
    level: str = Field(description="warning, critical, emergency or exhausted (100 %)")
    percent: float
    reached: bool
    at: datetime | None = Field(description="When the trend reaches it; null when reached or never.")


class ForecastRead(BaseModel):
    subject: SubjectRead
    current_percent: float
    points: int
    span_days: float
    confidence: Literal["insufficient", "low", "medium", "high"]
    reason: str
    percent_per_day: float | None
    addresses_per_day: float | None
    r_squared: float | None
    exhaustion: datetime | None
    crossings: list[CrossingRead]

    @classmethod
    def of(cls, item: SubjectForecast) -> ForecastRead:
        found: Forecast = item.forecast
        return cls(
            subject=SubjectRead.of(item.subject),
            current_percent=round(found.current_percent, 3),
            points=found.points,
            span_days=round(found.span.total_seconds() / 86400, 3),
            confidence=found.confidence.value,
            reason=found.reason,
            percent_per_day=found.slope_per_day,
            addresses_per_day=found.addresses_per_day,
            r_squared=found.r_squared,
            exhaustion=found.exhaustion,
            crossings=[
                CrossingRead(level=c.level, percent=c.percent, reached=c.reached, at=c.at)
                for c in found.crossings
            ],
        )


class StandingFindingRead(BaseModel):
    id: int
    kind: str
    subject_kind: str
    subject_id: int
    subject: str
    group: str | None
    level: str = Field(description="warning, critical or emergency: the level it is (or was last) at")
    percent: float = Field(description="The prefix's utilization when the finding reached its level.")
    opened_at: datetime
    changed_at: datetime
    closed_at: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    note: str

    @classmethod
    def of(cls, record: FindingRecord) -> StandingFindingRead:
        return cls.model_validate(record, from_attributes=True)


class FindingAck(Strict):
    note: str = Field("", max_length=2000, examples=["expansion planned for Monday (CHG-1234)"])


class WebhookCreate(Strict):
    url: str = Field(max_length=2000, examples=["https://hooks.example.net/ipledger"])
    kinds: list[str] = Field(
        default_factory=list, description="Object kinds (prefix, finding, cluster, ...); empty: every kind."
    )
    min_severity: Severity = "info"
    group: str | None = Field(None, description="Only events of this group and below.")
    description: str = ""
    secret: str | None = Field(
        None, min_length=16, max_length=200, description="The signing secret; generated when left out."
    )


class WebhookRead(BaseModel):
    id: int
    url: str
    kinds: list[str]
    min_severity: str
    group: str | None
    owner: str
    description: str
    created_at: datetime

    @classmethod
    def of(cls, record: WebhookRecord) -> WebhookRead:
        return cls(
            id=record.id,
            url=record.url,
            kinds=list(record.kinds),
            min_severity=record.min_severity,
            group=record.group,
            owner=record.owner,
            description=record.description,
            created_at=record.created_at,
        )


class WebhookCreated(WebhookRead):
    secret: str = Field(description="Shown only now: keep it to verify the X-Ipledger-Signature header.")


class AttemptRead(BaseModel):
    number: int
    at: datetime
    status_code: int | None
    error: str
    outcome: Literal["delivered", "retry", "failed"]


class DeliveryRead(BaseModel):
    id: int
    webhook_id: int
    change_id: int | None
    event: dict[str, Any]
    status: Literal["pending", "delivered", "failed"]
    created_at: datetime
    next_attempt_at: datetime | None
    attempts: list[AttemptRead]

    @classmethod
    def of(cls, record: DeliveryRecord) -> DeliveryRead:
        return cls(
            id=record.id,
            webhook_id=record.webhook_id,
            change_id=record.change_id,
            event=record.event,
            status=record.status,  # type: ignore[arg-type]
            created_at=record.created_at,
            next_attempt_at=record.next_attempt_at,
            attempts=[AttemptRead.model_validate(item, from_attributes=True) for item in record.attempts],
        )
