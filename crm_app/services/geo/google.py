"""Google Places provider: Places API (legacy web service) Autocomplete + Place Details over httpx.

Endpoints and shapes, as documented for the legacy Places API:
- GET {base}/maps/api/place/autocomplete/json?input&key&language&components&sessiontoken
  -> {"status": "OK" | "ZERO_RESULTS" | ..., "predictions": [{"description", "place_id",
      "structured_formatting": {"main_text", "secondary_text"}}]}
- GET {base}/maps/api/place/details/json?place_id&fields&key&language&sessiontoken
  -> {"status": "OK", "result": {"address_components": [{"long_name", "short_name", "types"}],
      "formatted_address"}}
The same session token on the autocomplete calls and the final details call makes Google bill the whole
typing session once.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx

from crm_app.services.geo.base import COUNTRY, AddressSuggestion, ProviderError

# Vietnamese addresses come back with the ward as a sublocality or a level-3 area depending on the place.
_WARD_TYPES = ("sublocality_level_1", "administrative_area_level_3", "sublocality", "neighborhood")


class GooglePlacesProvider:
    name = "google"

    def __init__(self, base_url: str, key: str, timeout: float = 1.5):
        self._base = base_url.rstrip("/")
        self._key = key
        self._client = httpx.Client(timeout=timeout)

    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        response = self._client.get(f"{self._base}{path}", params={**params, "key": self._key, "language": "vi"})
        response.raise_for_status()
        body = response.json()
        status = body.get("status")
        if status not in ("OK", "ZERO_RESULTS"):
            # REQUEST_DENIED, OVER_QUERY_LIMIT, ...: the error_message may echo the key, so it is not kept.
            raise ProviderError(f"Google Places status {status}")
        return body

    def suggest(self, query: str, *, session_token: str | None = None, limit: int = 6) -> list[AddressSuggestion]:
        params = {"input": query, "components": "country:vn"}
        if session_token:
            params["sessiontoken"] = session_token
        body = self._get("/maps/api/place/autocomplete/json", params)
        out: list[AddressSuggestion] = []
        for p in body.get("predictions", [])[:limit]:
            main = (p.get("structured_formatting") or {}).get("main_text") or p["description"]
            # Components are only known after Place Details (resolve), which ends the billing session.
            out.append(AddressSuggestion(p["description"], main, "", "", "", COUNTRY, self.name, p["place_id"]))
        return out

    def resolve(self, s: AddressSuggestion, *, session_token: str | None = None) -> AddressSuggestion:
        params = {"place_id": s.ref, "fields": "address_components,formatted_address"}
        if session_token:
            params["sessiontoken"] = session_token
        result = self._get("/maps/api/place/details/json", params).get("result") or {}
        by_type: dict[str, str] = {}
        for comp in result.get("address_components", []):
            for t in comp.get("types", []):
                by_type.setdefault(t, comp.get("long_name", ""))
        street = " ".join(p for p in (by_type.get("street_number", ""), by_type.get("route", "")) if p)
        ward = next((by_type[t] for t in _WARD_TYPES if by_type.get(t)), "")
        return replace(
            s,
            label=result.get("formatted_address") or s.label,
            street=street or s.street,
            ward=ward,
            district=by_type.get("administrative_area_level_2", ""),
            province=by_type.get("administrative_area_level_1") or by_type.get("locality", ""),
            country=by_type.get("country") or COUNTRY,
        )
