"""The provider contract shared by every address-autocomplete backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

COUNTRY = "Việt Nam"


@dataclass(frozen=True)
class AddressSuggestion:
    """One suggestion; choosing it fills the form's Địa chỉ, Phường/Xã, Quận/Huyện, Tỉnh/TP, Quốc gia."""

    label: str  # what the dropdown shows
    street: str  # house number and street, as typed or as the provider spells them
    ward: str
    district: str  # only for pre-2025 (district-based) addresses
    province: str
    country: str
    provider: str
    ref: str = ""  # the provider's place id, needed by resolve() (Google Place Details)
    # A pre-2025 address (ward, district, one of 63 provinces) is kept as typed; these name the place it is
    # since the 2025 reform: the ward (the usual one when the old ward was divided, the others after it) and
    # the province. Empty for an address already in the 2025 form.
    ward_2025: str = ""
    province_2025: str = ""
    ward_2025_others: tuple[str, ...] = ()


class AddressProvider(Protocol):
    name: str

    def suggest(self, query: str, *, session_token: str | None = None, limit: int = 6) -> list[AddressSuggestion]:
        """Suggestions for what the user has typed so far; [] when nothing matches."""
        ...

    def resolve(self, s: AddressSuggestion, *, session_token: str | None = None) -> AddressSuggestion:
        """The chosen suggestion with its components filled (may call the provider again)."""
        ...


class ProviderError(Exception):
    """A remote provider answered with an error status or an unusable body."""
