"""OpenStreetMap provider: a (self-hosted) Photon geocoder, GET {url}/api?q&limit&bbox -> GeoJSON.

Each feature's properties carry name/housenumber/street/district/city/county/state/country/postcode. In
Vietnamese OSM data the province is the state (or the city for centrally-run cities), the pre-2025
district is the county and the ward is Photon's district (or locality).
"""

from __future__ import annotations

from typing import Any

import httpx

from crm_app.services.geo.base import COUNTRY, AddressSuggestion

# Photon has no country filter; Vietnam's bounding box (minLon,minLat,maxLon,maxLat) keeps results local.
_VIETNAM_BBOX = "102.14,8.18,109.47,23.39"


class PhotonProvider:
    name = "photon"

    def __init__(self, url: str, timeout: float = 1.5):
        self._url = url.rstrip("/")
        self._client = httpx.Client(timeout=timeout)

    def suggest(self, query: str, *, session_token: str | None = None, limit: int = 6) -> list[AddressSuggestion]:
        response = self._client.get(f"{self._url}/api", params={"q": query, "limit": limit, "bbox": _VIETNAM_BBOX})
        response.raise_for_status()
        out: list[AddressSuggestion] = []
        for feature in response.json().get("features", []):
            props: dict[str, Any] = feature.get("properties") or {}
            if props.get("countrycode", "VN").upper() != "VN":
                continue
            out.append(self._suggestion(props))
        return out[:limit]

    def resolve(self, s: AddressSuggestion, *, session_token: str | None = None) -> AddressSuggestion:
        return s  # Photon features already carry every component

    def _suggestion(self, props: dict[str, Any]) -> AddressSuggestion:
        street = " ".join(p for p in (props.get("housenumber", ""), props.get("street", "")) if p)
        if not street or (props.get("name") and props.get("name") != props.get("street")):
            # A named place (a building, a shop) is more useful first than its street alone.
            street = ", ".join(p for p in (props.get("name", ""), street) if p)
        ward = props.get("district") or props.get("locality") or ""
        district = props.get("county", "")
        province = props.get("state") or props.get("city") or ""
        label = ", ".join(dict.fromkeys(p for p in (street, ward, district, province) if p))
        ref = f"{props.get('osm_type', '')}{props.get('osm_id', '')}"
        return AddressSuggestion(
            label, street, ward, district, province, props.get("country") or COUNTRY, self.name, ref
        )
