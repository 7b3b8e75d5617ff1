"""Address autocomplete: pluggable providers behind one fallback service (DESIGN §4 "Address autocomplete").

Typical use from a form:
    service = get_address_service(get_settings())
    token = new_session_token()            # one per typing session (Google bills a session once)
    suggestions = service.suggest(text, session_token=token)
    chosen = service.resolve(suggestions[i], session_token=token)   # fills ward/district/province/country
"""

from __future__ import annotations

from crm_app.services.geo.base import COUNTRY, AddressProvider, AddressSuggestion, ProviderError
from crm_app.services.geo.divisions import warm_up
from crm_app.services.geo.fallback import FallbackProvider, get_address_service, new_session_token
from crm_app.services.geo.google import GooglePlacesProvider
from crm_app.services.geo.offline import OfflineProvider
from crm_app.services.geo.photon import PhotonProvider

__all__ = [
    "COUNTRY",
    "AddressProvider",
    "AddressSuggestion",
    "FallbackProvider",
    "GooglePlacesProvider",
    "OfflineProvider",
    "PhotonProvider",
    "ProviderError",
    "get_address_service",
    "new_session_token",
    "warm_up",
]
