"""The address service the form uses: a remote provider when configured, the offline one otherwise.

A remote call that errors, answers nothing or takes longer than the deadline is abandoned for that
keystroke and the offline provider answers instead, so the form never waits more than ~1.5 s.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import lru_cache
from typing import TypeVar

from crm_app.services.geo.base import AddressProvider, AddressSuggestion
from crm_app.services.geo.google import GooglePlacesProvider
from crm_app.services.geo.offline import OfflineProvider
from crm_app.services.geo.photon import PhotonProvider
from crm_app.services.text import fold
from crm_app.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

REMOTE_TIMEOUT_S = 1.5
# Shorter input matches too much to be worth a billed remote request; the offline index answers it.
MIN_REMOTE_CHARS = 3


class _LRU:
    def __init__(self, size: int):
        self._size = size
        self._data: OrderedDict[tuple[str, str, int], tuple[AddressSuggestion, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, int]) -> tuple[AddressSuggestion, ...] | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: tuple[str, str, int], value: tuple[AddressSuggestion, ...]) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._size:
                self._data.popitem(last=False)


class FallbackProvider:
    def __init__(
        self,
        remote: AddressProvider | None,
        offline: OfflineProvider | None = None,
        *,
        timeout: float = REMOTE_TIMEOUT_S,
        cache_size: int = 1024,
    ):
        self.remote = remote
        self.offline = offline or OfflineProvider()
        self.timeout = timeout
        self._cache = _LRU(cache_size)
        # Remote calls run on worker threads so a hung server costs the caller `timeout`, not httpx's worst case.
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="geo") if remote else None

    @property
    def name(self) -> str:
        return self.remote.name if self.remote else self.offline.name

    def suggest(self, query: str, *, session_token: str | None = None, limit: int = 6) -> list[AddressSuggestion]:
        folded = fold(query)
        if not folded:
            return []
        if self.remote is not None and len(folded) >= MIN_REMOTE_CHARS:
            key = (self.remote.name, folded, limit)
            cached = self._cache.get(key)
            if cached is not None:
                return list(cached)
            remote = self._try(self.remote.suggest, query, session_token=session_token, limit=limit)
            if remote:  # an empty answer falls back too: offline may still recognise the ward/province
                self._cache.put(key, tuple(remote))
                return remote
        # Not cached: offline suggestions echo the street exactly as typed (accents, case), which a cache keyed
        # on the folded query would get wrong, and they cost about a millisecond.
        return self.offline.suggest(query, limit=limit)

    def resolve(self, s: AddressSuggestion, *, session_token: str | None = None) -> AddressSuggestion:
        if self.remote is not None and s.provider == self.remote.name:
            resolved = self._try(self.remote.resolve, s, session_token=session_token)
            if resolved is not None:
                s = resolved
        # Fills what the remote left empty (or everything when it failed) from the suggestion's label.
        return self.offline.resolve(s, session_token=session_token)

    def _try(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T | None:
        assert self._pool is not None
        future = self._pool.submit(fn, *args, **kwargs)
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout:
            log.warning("address provider %s timed out; using offline", self.name)
        except Exception as exc:
            # Only the exception type: httpx messages contain the request URL, which carries the API key.
            log.warning("address provider %s failed (%s); using offline", self.name, type(exc).__name__)
        return None


def new_session_token() -> str:
    """One per typing session (form opened → suggestion chosen), passed to suggest() and resolve()."""
    return str(uuid.uuid4())


@lru_cache(maxsize=4)
def get_address_service(settings: Settings) -> FallbackProvider:
    """Google when a key is set, else Photon when a URL is set, else offline only; one per settings."""
    remote: AddressProvider | None = None
    if settings.google_maps_key:
        remote = GooglePlacesProvider(settings.google_places_base, settings.google_maps_key, REMOTE_TIMEOUT_S)
    elif settings.photon_url:
        remote = PhotonProvider(settings.photon_url, REMOTE_TIMEOUT_S)
    return FallbackProvider(remote)
