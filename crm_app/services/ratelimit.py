"""One rate limit across every worker (webhook sources, API tokens), with the `limits` library.

The counts live in Redis when the app has one (`make run-scaled`: N web workers, one limit), else
in this process's memory (`make run`: one web process). A key may make `burst` requests in any
window of burst/rate seconds (a moving window: no doubled burst at a window's edge), so its
long-run pace is `rate` per second.

If Redis is unreachable the request is allowed: the limit protects the service, and refusing
every delivery while the store is down would lose more than a flood could.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from functools import lru_cache

from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from crm_app.settings import get_settings

log = logging.getLogger(__name__)
_warned_at = 0.0
_warn_lock = threading.Lock()


@lru_cache(maxsize=4)
def _limiter(url: str) -> MovingWindowRateLimiter:
    options: dict[str, float | str | bool] = {}
    if url.startswith("redis"):
        # A stopped Redis must cost a request little: fail fast, then allow (see above).
        options = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    return MovingWindowRateLimiter(storage_from_string(url, **options))


@lru_cache(maxsize=64)
def _item(rate: float, burst: float) -> RateLimitItemPerSecond:
    amount = max(1, int(burst))
    return RateLimitItemPerSecond(amount, max(1, math.ceil(amount / rate)))


def hit(key: str, rate: float, burst: float) -> tuple[bool, float]:
    """Count one request for `key`: (allowed, seconds until the next one would be allowed)."""
    item = _item(rate, burst)
    limiter = _limiter(get_settings().rate_limit_url)
    try:
        if limiter.hit(item, key):
            return True, 0.0
        return False, max(0.0, limiter.get_window_stats(item, key).reset_time - time.time())
    except Exception as exc:  # noqa: BLE001 - the store is down: allow (module docstring)
        _warn(exc)
        return True, 0.0


def reset() -> None:
    """Start from a new store connection; in memory, from no counts at all (tests)."""
    _limiter.cache_clear()


def _warn(exc: Exception) -> None:
    global _warned_at
    with _warn_lock:  # once a minute, not once per request
        if time.monotonic() - _warned_at < 60:
            return
        _warned_at = time.monotonic()
    log.warning("rate limit store unavailable, allowing requests: %s: %s", type(exc).__name__, exc)
