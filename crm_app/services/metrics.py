"""Operating figures for `GET /metrics` (Prometheus text) and `crm status` (a terminal).

Read from the database rows and the queue at the moment of asking, not counted in each process:
with N web workers and M consumers every scrape then sees the same figures, whichever process
answers it."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from crm_app.db import read_session
from crm_app.models import ChannelEvent, ImportJob, utcnow
from crm_app.services import intake, tasks

LAG_WINDOW = timedelta(minutes=5)  # processing lag over the events received this recently
LAG_SAMPLE = 10_000


@dataclass
class Snapshot:
    events: dict[tuple[str, str], int] = field(default_factory=dict)  # (channel, status) → rows
    retries: int = 0  # attempts beyond each event's first
    waiting_retry: int = 0  # failed, another attempt scheduled
    failed_final: int = 0  # failed, no further attempt (BadPayload or attempts exhausted)
    lag_p50: float = math.nan  # received → processed, seconds, over LAG_WINDOW
    lag_p99: float = math.nan
    oldest_unprocessed: float = 0.0  # age of the oldest event still received, seconds
    queue_up: bool = False
    queue_depth: float = math.nan  # tasks waiting in the queue
    queue_scheduled: float = math.nan  # retries waiting for their time
    imports_running: int = 0
    import_rows_per_second: float = 0.0  # over the running imports


def read(engine: Engine) -> Snapshot:
    snap = Snapshot()
    now = utcnow()
    with read_session(engine) as session:
        for channel, status, count, attempts in session.exec(
                select(ChannelEvent.channel, ChannelEvent.status, func.count(), func.sum(ChannelEvent.attempts))
                .group_by(ChannelEvent.channel, ChannelEvent.status)):
            snap.events[(channel, status)] = count
            snap.retries += max(0, int(attempts or 0) - (count if status != intake.RECEIVED else 0))
        snap.waiting_retry = session.exec(select(func.count()).where(
            ChannelEvent.status == intake.FAILED, col(ChannelEvent.next_attempt_at).is_not(None))).one()
        failed = sum(n for (_c, s), n in snap.events.items() if s == intake.FAILED)
        snap.failed_final = failed - snap.waiting_retry
        lags = sorted((_aware(done) - _aware(got)).total_seconds() for got, done in session.exec(
            select(ChannelEvent.received_at, ChannelEvent.processed_at)
            .where(col(ChannelEvent.received_at) >= now - LAG_WINDOW, col(ChannelEvent.processed_at).is_not(None))
            .limit(LAG_SAMPLE)) if done is not None)
        if lags:
            snap.lag_p50, snap.lag_p99 = _quantile(lags, 0.5), _quantile(lags, 0.99)
        oldest = session.exec(select(func.min(ChannelEvent.received_at))
                              .where(ChannelEvent.status == intake.RECEIVED)).one()
        snap.oldest_unprocessed = (now - _aware(oldest)).total_seconds() if oldest else 0.0
        for processed, started, beat in session.exec(
                select(ImportJob.processed, ImportJob.started_at, ImportJob.heartbeat_at)
                .where(ImportJob.status == "running")):
            snap.imports_running += 1
            seconds = (_aware(beat) - _aware(started)).total_seconds()
            snap.import_rows_per_second += processed / seconds if seconds > 0 else 0.0
    try:
        huey = tasks.queue().huey
        snap.queue_depth, snap.queue_scheduled = huey.pending_count(), huey.scheduled_count()
        snap.queue_up = True
    except Exception:  # noqa: BLE001 - a figure of its own says the queue is unreachable
        snap.queue_up = False
    return snap


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _quantile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def families(snap: Snapshot) -> list[Metric]:
    events = GaugeMetricFamily("crm_channel_events", "Stored channel deliveries by channel and status",
                               labels=["channel", "status"])
    for (channel, status), count in sorted(snap.events.items()):
        events.add_metric([channel, status], count)
    lag = GaugeMetricFamily("crm_channel_processing_lag_seconds",
                            "Received to processed, events of the last 5 minutes", labels=["quantile"])
    lag.add_metric(["0.5"], snap.lag_p50)
    lag.add_metric(["0.99"], snap.lag_p99)
    return [
        events,
        GaugeMetricFamily("crm_channel_event_retries", "Attempts beyond each event's first", value=snap.retries),
        GaugeMetricFamily("crm_channel_events_waiting_retry", "Failed events with a retry scheduled",
                          value=snap.waiting_retry),
        GaugeMetricFamily("crm_channel_events_failed", "Failed events with no retry left (shown on the "
                          "channel-events screen)", value=snap.failed_final),
        lag,
        GaugeMetricFamily("crm_channel_oldest_unprocessed_seconds", "Age of the oldest event not processed yet",
                          value=snap.oldest_unprocessed),
        GaugeMetricFamily("crm_queue_up", "1 if the task queue answered", value=int(snap.queue_up)),
        GaugeMetricFamily("crm_queue_depth", "Tasks waiting in the queue", value=snap.queue_depth),
        GaugeMetricFamily("crm_queue_scheduled", "Tasks waiting for their time (retries)",
                          value=snap.queue_scheduled),
        GaugeMetricFamily("crm_imports_running", "Import jobs running", value=snap.imports_running),
        GaugeMetricFamily("crm_import_rows_per_second", "Rows per second over the running imports",
                          value=snap.import_rows_per_second),
    ]


class _SnapshotCollector(Collector):
    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap

    def collect(self) -> Iterator[Metric]:
        yield from families(self.snap)


def prometheus_text(engine: Engine) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_SnapshotCollector(read(engine)))
    return generate_latest(registry)


def terminal_lines(snap: Snapshot) -> list[str]:
    """The same figures as /metrics, for `crm status`."""
    lines = []
    for family in families(snap):
        for sample in family.samples:
            labels = " ".join(f"{k}={v}" for k, v in sample.labels.items())
            value = "-" if math.isnan(sample.value) else f"{sample.value:g}"
            lines.append(f"{sample.name:<42} {labels:<34} {value}".rstrip())
    return lines
