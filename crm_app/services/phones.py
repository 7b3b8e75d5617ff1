"""Vietnamese phone numbers: the dedup key. Stored as E.164 (+84…), shown as 0….

Inputs seen in the wild (CHANNELS.md): 84912345678, +84912345678, 0912 345 678,
0912.345.678, +84 (0) 912 345 678, full-width digits, 912345678 (Excel dropped the
zero), and pre-2018 11-digit mobiles that map to 10 digits by prefix.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

import phonenumbers

# Pre-2018 11-digit mobile prefixes → today's 3-digit prefixes (last 7 digits unchanged).
OLD_MOBILE_PREFIXES: dict[str, str] = {
    "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
    "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
    "0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036",
    "0167": "037", "0168": "038", "0169": "039",
    "0186": "056", "0188": "058", "0199": "059",
}

_ZERO_IN_PARENS = re.compile(r"\(\s*0\s*\)")
_NON_DIGITS = re.compile(r"[^\d+]")
# Between two numbers typed in one cell: punctuation, a dash, a line break, "hoặc"/"và"/"or".
_BETWEEN_NUMBERS = re.compile(r"[,;/|&\n\r\u2013\u2014-]+|\b(?:hoặc|và|or|and)\b", re.IGNORECASE)


@lru_cache(maxsize=65536)
def normalise_phone(raw: object) -> str | None:
    """E.164 for a valid number, else None. Never raises."""
    if raw is None:
        return None
    if isinstance(raw, float):
        if not math.isfinite(raw) or raw <= 0:
            return None
        raw = str(int(raw))
    if isinstance(raw, int) and not 0 < raw < 10**15:  # also avoids str() of a giant int
        return None
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if not text:
        return None
    text = _ZERO_IN_PARENS.sub("", text)
    plus = text.startswith("+") or text.startswith("00")
    digits = _NON_DIGITS.sub("", text).lstrip("+")
    if text.startswith("00"):
        digits = digits[2:]
    if not digits or len(digits) > 15:
        return None
    if plus and not digits.startswith("84"):
        return _valid_e164("+" + digits)
    # After "+", 84 is the country code whatever the length ("+846900000" is 069 00000, not 084…).
    if plus or (digits.startswith("84") and len(digits) in (11, 12)):
        national = "0" + digits[2:]
    elif digits.startswith("0"):
        national = digits
    elif len(digits) in (9, 10):
        national = "0" + digits  # a spreadsheet dropped the leading zero
    else:
        return None
    if len(national) == 11 and national[:4] in OLD_MOBILE_PREFIXES:
        national = OLD_MOBILE_PREFIXES[national[:4]] + national[4:]
    return _valid_e164(national, "VN")


def split_phones(text: str) -> list[str]:
    """The numbers of a cell holding several ("0912345678 - 0987654321", "0912345678/0283822…",
    "0912345678 hoặc 0987654321"), each in E.164, without repeats; [] unless the cell splits into
    at least two parts and every part is a valid number, so nothing is guessed. Call it only for
    text that normalise_phone refuses as one number ("0912-345-678" is one number)."""
    parts = [p for p in _BETWEEN_NUMBERS.split(unicodedata.normalize("NFKC", text)) if p.strip()]
    if len(parts) < 2:
        parts = text.split()  # "0912345678 0987654321": only if each word is a whole number
    if len(parts) < 2:
        return []
    numbers = [normalise_phone(p) for p in parts]
    if None in numbers:
        return []
    return list(dict.fromkeys(n for n in numbers if n is not None))


def phone_key(raw: object) -> str | None:
    """The matching key for channel data: E.164 when valid, else "+84" + the national digits of a
    plausible Vietnamese number (9-11 digits with the leading 0), else None.

    Channels deliver numbers phonenumbers rejects (the sync guide's own example is 0123456789);
    they must still be stored and matched consistently rather than dropped."""
    if (e164 := normalise_phone(raw)) is not None:
        return e164
    if raw is None or isinstance(raw, float):
        return None
    text = _ZERO_IN_PARENS.sub("", unicodedata.normalize("NFKC", str(raw)).strip())
    if text.startswith("+") and not text.startswith("+84"):
        return None  # an invalid foreign number is not guessable
    digits = re.sub(r"\D", "", text)
    if digits.startswith("0084"):
        digits = digits[2:]
    if digits.startswith("84") and len(digits) in (11, 12):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        national = digits
    if 8 <= len(national) <= 10 and not national.startswith("0"):
        return "+84" + national
    return None


def _valid_e164(number: str, region: str | None = None) -> str | None:
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str | None) -> str:
    """+84912345678 → 0912345678; foreign numbers stay in E.164."""
    if not e164:
        return ""
    if e164.startswith("+84"):
        return "0" + e164[3:]
    return e164


def is_mobile(e164: str | None) -> bool:
    if not e164:
        return False
    try:
        kind = phonenumbers.number_type(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return False
    return kind in (phonenumbers.PhoneNumberType.MOBILE,
                    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
