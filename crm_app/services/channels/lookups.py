"""The providers' APIs the parsers consult (Zalo user detail, Graph profile and Lead Ads
answers): the real `channels.Lookups`; tests give the parsers a fake."""

from __future__ import annotations

import json
from typing import Any

import httpx

from crm_app.db import get_engine
from crm_app.services import zalo_oa
from crm_app.services.channels import BadPayload, Gone
from crm_app.settings import Settings, get_settings

LEADGEN_FIELDS = ("id,created_time,field_data,ad_id,ad_name,adset_id,adset_name,campaign_id,campaign_name,"
                  "form_id,is_organic,platform")
_TIMEOUT = 3.0
_RETRIES = 2


# Graph "object does not exist / cannot be loaded" (code 100, subcode 33) and plain 404s.
_GRAPH_GONE = {100}


def _check_gone(response: httpx.Response) -> None:
    if response.status_code == 404:
        raise Gone("not found")
    if response.status_code == 400:
        try:
            error = response.json().get("error") or {}
        except ValueError:
            return
        if isinstance(error, dict) and error.get("code") in _GRAPH_GONE:
            raise Gone(str(error.get("message") or "object does not exist")[:200])


class HttpLookups:
    """The real providers' APIs (base URLs configurable so tests point them at a fake)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    def _get(self, url: str, *, params: dict[str, str], headers: dict[str, str] | None = None) -> dict[str, Any]:
        last: Exception | None = None
        for _ in range(_RETRIES + 1):
            try:
                response = httpx.get(url, params=params, headers=headers, timeout=_TIMEOUT)
                if response.status_code < 500:
                    _check_gone(response)
                    response.raise_for_status()
                    data = response.json()
                    if not isinstance(data, dict):
                        raise BadPayload("provider answered a non-object")
                    return data
                last = httpx.HTTPStatusError("server error", request=response.request, response=response)
            except (httpx.TransportError, ValueError) as exc:
                last = exc
                if isinstance(exc, BadPayload):
                    break
        raise RuntimeError(f"lookup failed: {type(last).__name__}: {last}")

    def zalo_user(self, user_id: str) -> dict[str, Any]:
        # The OA token comes from the stored connection (refreshed once on -216/401), else from
        # CRM_ZALO_OA_ACCESS_TOKEN: services/zalo_oa.py.
        s = self.settings
        url = f"{s.zalo_api_base.rstrip('/')}/v3.0/oa/user/detail"
        params = {"data": json.dumps({"user_id": user_id})}
        return zalo_oa.call_oa(lambda token: self._get(url, params=params, headers={"access_token": token}),
                               get_engine(s.database_url))

    def fb_profile(self, psid: str) -> dict[str, Any]:
        s = self.settings
        return self._get(f"{s.fb_graph_base.rstrip('/')}/{psid}",
                         params={"fields": "first_name,last_name", "access_token": s.fb_page_token})

    def fb_leadgen(self, leadgen_id: str) -> dict[str, Any]:
        s = self.settings
        # The default answer has no attribution: ask for the ad, ad set, campaign and form too.
        return self._get(f"{s.fb_graph_base.rstrip('/')}/v21.0/{leadgen_id}",
                         params={"access_token": s.fb_page_token, "fields": LEADGEN_FIELDS})

