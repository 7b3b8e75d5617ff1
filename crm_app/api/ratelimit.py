"""Per-source rate limit for the webhook routes: a token bucket per client address.

Held in each worker's memory on purpose: it protects that worker from a flood, and nothing is
lost by it — a sender told 429 retries, as every channel provider does. With N workers a
source may get up to N times the rate."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

_MAX_SOURCES = 10_000  # bounded memory whatever the number of addresses seen


class RateLimiter:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, source: str) -> bool:
        now = time.monotonic()
        with self._lock:
            tokens, stamp = self._buckets.pop(source, (self.burst, now))
            tokens = min(self.burst, tokens + (now - stamp) * self.rate)
            allowed = tokens >= 1
            self._buckets[source] = (tokens - 1 if allowed else tokens, now)
            while len(self._buckets) > _MAX_SOURCES:
                self._buckets.popitem(last=False)
            return allowed
