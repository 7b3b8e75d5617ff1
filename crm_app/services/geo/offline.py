"""Offline address parsing and suggestions over Vietnam's administrative divisions.

Two data sets are combined because no single maintained package carries both:
- `vietnam-provinces`: the post-July-2025 divisions (34 provinces, 3,321 wards directly under them);
- `vietnamadminunits`: the pre-2025 divisions (63 provinces, districts, wards), read from its bundled
  SQLite file so that importing its parser (and its shapely/geopy dependencies) is not needed.

Parsing works right to left, the way Vietnamese addresses are written (street, ward, district, province):
the query is split into folded tokens, every token span is looked up in a precomputed variant index
("p ben nghe", "phuong ben nghe", "ben nghe", "q 1", "quan 1", "tp hcm", "hcm", ...), and chains of
adjacent spans ending at the end of the query are checked against the hierarchy. Whatever precedes the
chain is the street, kept exactly as typed.
"""

from __future__ import annotations

import bisect
import importlib.util
import json
import re
import sqlite3
import threading
import unicodedata
from collections import defaultdict
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path

from crm_app.services.geo.base import COUNTRY, AddressSuggestion

WARD, DISTRICT, PROVINCE = 0, 1, 2
NEW, OLD = "new", "old"

# Folded type words and their abbreviations, per level and official type name.
_TYPE_PREFIXES: dict[int, dict[str, tuple[str, ...]]] = {
    PROVINCE: {"thanh pho": ("thanh pho", "tp"), "tinh": ("tinh",)},
    DISTRICT: {
        "quan": ("quan", "q", "district"),
        "huyen": ("huyen", "h"),
        "thi xa": ("thi xa", "tx"),
        "thanh pho": ("thanh pho", "tp"),
    },
    WARD: {
        # "F" is how many Saigon residents write "Phường" ("F12").
        "phuong": ("phuong", "p", "f", "ward"),
        "xa": ("xa", "x"),
        "thi tran": ("thi tran", "tt"),
        "dac khu": ("dac khu",),
    },
}

# Colloquial province names (folded) that are not derivable from the official ones.
_PROVINCE_ALIASES: dict[str, tuple[str, ...]] = {
    "ho chi minh": ("hcm", "tphcm", "tp hcm", "hcmc", "sai gon", "saigon", "sg", "tp sg", "ho chi minh city"),
    "ha noi": ("hn", "tp hn", "hanoi"),
    "hai phong": ("hp",),
    "ba ria vung tau": ("brvt",),
    "hue": ("thua thien hue", "tt hue"),
}
_COUNTRY_KEYS = {("viet", "nam"), ("vietnam",), ("vn",), ("vietnamese",)}
# Type words that, right before a parsed name, mean the parse cut a name in two ("P." + "Bến Nghé").
_TYPE_WORDS = {w for level in _TYPE_PREFIXES.values() for variants in level.values() for w in variants}
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5"}
_TOKEN = re.compile(r"[a-z]+|[0-9]+|,")
_MAX_SPAN = 8
_MAX_PREFIX_COMPLETIONS = 40  # distinct next words considered for a prefix
_MAX_PREFIX_NAMES = 200  # names considered per completed word ("tp" starts hundreds)


@dataclass(frozen=True, slots=True)
class Unit:
    level: int
    system: str
    name: str
    parent: int  # index of the enclosing unit in the index's `units`, -1 for a province
    # (accented, folded) words of the name without its type word, when it has diacritics: to prefer
    # "Tân Thạnh" over "Tân Thành" when the user typed accents. Empty when accents carry no information.
    accented: tuple[tuple[str, str], ...]


def _fold_char(c: str) -> str:
    if c in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", c)[0].lower()
    return base if len(base) == 1 else " "


@dataclass(frozen=True, slots=True)
class _Tokens:
    text: str  # the NFC query; `starts` index into it
    words: tuple[str, ...]
    starts: tuple[int, ...]
    segment_start: tuple[bool, ...]  # the token opens a comma-separated part
    open_end: bool  # the last word or name may still be being typed


def tokenize(query: str) -> _Tokens:
    text = unicodedata.normalize("NFC", query)
    # One folded character per original character, so token offsets point into the typed text.
    folded = "".join(_fold_char(c) for c in text)
    words: list[str] = []
    starts: list[int] = []
    seg_start: list[bool] = []
    after_comma = True
    for m in _TOKEN.finditer(folded):
        tok = m.group()
        if tok == ",":
            after_comma = True
            continue
        words.append(str(int(tok)) if tok.isdigit() else tok)  # "Q.01" == "Q1"
        starts.append(m.start())
        seg_start.append(after_comma)
        after_comma = False
    # After a space the user may be in the middle of a multi-word name ("Phường Sài "); after a comma not.
    open_end = bool(folded.strip()) and folded.rstrip()[-1].isalnum()
    return _Tokens(text, tuple(words), tuple(starts), tuple(seg_start), open_end)


# Both tone placements are in use ("Hòa"/"Hoà", "Thủy"/"Thuỷ"); accents are compared in one of them.
_TONE_ON_SECOND = re.compile("o[àáảãạ]|u[ýỳỷỹỵ]")
_TONE_ON_FIRST = {
    "oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
    "uý": "úy", "uỳ": "ùy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}  # fmt: skip


def _tone_norm(text: str) -> str:
    return _TONE_ON_SECOND.sub(lambda m: _TONE_ON_FIRST[m.group()], text)


def _accented_words(text: str) -> tuple[tuple[str, str], ...]:
    """("hòa", "hoa") pairs for the words of `text`; empty when it has no diacritics at all."""
    if text.isascii():
        return ()
    return tuple((w, "".join(_fold_char(c) for c in w)) for w in re.findall(r"\w+", _tone_norm(text.lower())))


def _accent_agreement(typed: tuple[tuple[str, str], ...], name: tuple[tuple[str, str], ...], partial: bool) -> int:
    """1 when accented words typed match the name's, -1 when the same letters carry other accents, else 0."""
    result = 0
    for i, (word, folded) in enumerate(typed):
        if word == folded:
            continue  # typed without accents: says nothing
        prefix = partial and i == len(typed) - 1  # still being typed
        for name_word, name_folded in name:
            if name_folded == folded or (prefix and name_folded.startswith(folded)):
                if name_word == word or (prefix and name_word.startswith(word)):
                    result = max(result, 1)
                else:
                    return -1
    return result


def _words(folded: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(folded.replace(",", " ")))


def _fold(text: str) -> str:
    return " ".join(tokenize(text).words)


def _split_type(name: str, level: int) -> tuple[str, str]:
    """("Quận 1", DISTRICT) -> ("quan", "1"): the folded type word and the folded proper name."""
    folded = _fold(name)
    for type_word in sorted(_TYPE_PREFIXES[level], key=len, reverse=True):
        if folded.startswith(type_word + " "):
            return type_word, folded[len(type_word) + 1 :]
    return "", folded


@dataclass(frozen=True, slots=True)
class _Hit:
    unit: int
    prefixed: bool  # the user typed the type word ("P.", "Quận") in front of the name


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int
    level: int
    hits: tuple[_Hit, ...]
    partial: bool  # the last word was completed from a prefix
    prefixed: bool  # starts with a type word ("P.", "Quận")


class OfflineIndex:
    """Variant index over both division sets; built once, read-only afterwards."""

    def __init__(self, new_provinces: list[dict], legacy_rows: list[tuple[str, str, str | None]]):
        self.units: list[Unit] = []
        self.exact: dict[tuple[str, ...], list[_Hit]] = defaultdict(list)
        self._load_new(new_provinces)
        self._load_legacy(legacy_rows)
        # For names still being typed: the words that may follow each word sequence ("p ben" -> "nghe",
        # "thanh"...) and the full names each word sequence starts.
        completions: dict[tuple[str, ...], set[str]] = defaultdict(set)
        extensions: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
        for key in self.exact:
            for j in range(1, len(key) + 1):
                completions[key[: j - 1]].add(key[j - 1])
                extensions[key[:j]].append(key)
        self.completions = {head: sorted(words) for head, words in completions.items()}
        self.extensions = dict(extensions)
        self.exact = dict(self.exact)

    def _add(self, level: int, system: str, name: str, parent: int, extra_bare: tuple[str, ...] = ()) -> int:
        uid = len(self.units)
        type_word, core = _split_type(name, level)
        core_text = " ".join(name.split()[len(type_word.split()) :])
        self.units.append(Unit(level, system, name, parent, _accented_words(core_text)))
        cores = {core, *extra_bare}
        words = core.split()
        if words and words[-1] in _ROMAN:  # "Hải Châu I" typed as "hai chau 1"
            cores.add(" ".join([*words[:-1], _ROMAN[words[-1]]]))
        for c in cores:
            c_words = _words(c)
            if not c_words:
                continue
            # A bare number ("1") is only a division when its type word is typed ("Q1", "Phường 1").
            if not c_words[0].isdigit():
                self.exact[c_words].append(_Hit(uid, False))
            for prefix in _TYPE_PREFIXES[level].get(type_word, ()):
                self.exact[(*_words(prefix), *c_words)].append(_Hit(uid, True))
        return uid

    def _load_new(self, provinces: list[dict]) -> None:
        for p in provinces:
            name = " ".join(p["name"].split())
            if p["division_type"] == "tỉnh" and not name.startswith("Tỉnh "):
                name = f"Tỉnh {name}"  # same spelling as the pre-2025 data set
            pid = self._add(PROVINCE, NEW, name, -1, self._province_extras(name))
            for w in p["wards"]:
                self._add(WARD, NEW, " ".join(w["name"].split()), pid)

    def _load_legacy(self, rows: list[tuple[str, str, str | None]]) -> None:
        provinces: dict[str, int] = {}
        districts: dict[tuple[str, str], int] = {}
        for province, district, ward in rows:
            if province not in provinces:
                provinces[province] = self._add(PROVINCE, OLD, province, -1, self._province_extras(province))
            dkey = (province, district)
            if dkey not in districts:
                districts[dkey] = self._add(DISTRICT, OLD, district, provinces[province])
            if ward:  # island districts have no wards
                self._add(WARD, OLD, ward, districts[dkey])

    @staticmethod
    def _province_extras(name: str) -> tuple[str, ...]:
        core = _split_type(name, PROVINCE)[1]
        return (core.replace(" ", ""), *_PROVINCE_ALIASES.get(core, ()))

    # -- lookup -------------------------------------------------------------------------------

    def province_of(self, uid: int) -> int:
        while self.units[uid].parent >= 0:
            uid = self.units[uid].parent
        return uid

    def spans(self, tokens: _Tokens) -> dict[int, list[_Span]]:
        """Every span of words naming a division, grouped by the index where it ends."""
        words = tokens.words
        n = len(words)
        by_end: dict[int, list[_Span]] = defaultdict(list)
        for start in range(n):
            for end in range(start + 1, min(n, start + _MAX_SPAN) + 1):
                if end > start + 1 and tokens.segment_start[end - 1]:
                    break  # a division name never crosses a comma
                key = words[start:end]
                hits = self.exact.get(key)
                if hits:
                    self._add_spans(by_end, start, end, hits, partial=False)
                if end == n and tokens.open_end:
                    self._add_prefix_spans(by_end, start, end, key)
        return by_end

    def _add_prefix_spans(self, by_end: dict[int, list[_Span]], start: int, end: int, key: tuple[str, ...]) -> None:
        head, last = key[:-1], key[-1]
        if not head and len(last) < 3:
            return  # one or two letters would match thousands of names
        words = self.completions.get(head)
        if not words:
            return
        i = bisect.bisect_left(words, last)
        hits: list[_Hit] = []
        for word in words[i : i + _MAX_PREFIX_COMPLETIONS]:
            if not word.startswith(last):
                break
            for full in self.extensions[(*head, word)][:_MAX_PREFIX_NAMES]:
                if full != key:  # the exact match is already a span of its own
                    hits.extend(self.exact[full])
        if hits:
            self._add_spans(by_end, start, end, hits, partial=True)

    def _add_spans(self, by_end: dict[int, list[_Span]], start: int, end: int, hits: list[_Hit], partial: bool) -> None:
        per_level: dict[int, list[_Hit]] = defaultdict(list)
        for h in hits:
            per_level[self.units[h.unit].level].append(h)
        for level, level_hits in per_level.items():
            prefixed = any(h.prefixed for h in level_hits)
            by_end[end].append(_Span(start, end, level, tuple(level_hits), partial, prefixed))


@dataclass(frozen=True, slots=True)
class _Candidate:
    score: float
    ward: int
    district: int
    province: int
    start: int  # first word of the administrative part


class OfflineProvider:
    """Suggests and fills ward/district/province from the bundled division data; no network."""

    name = "offline"

    def __init__(self, index: OfflineIndex | None = None):
        self._index = index

    @property
    def index(self) -> OfflineIndex:
        if self._index is None:
            self._index = shared_index()
        return self._index

    def suggest(self, query: str, *, session_token: str | None = None, limit: int = 6) -> list[AddressSuggestion]:
        tokens = tokenize(query)
        if not tokens.words:
            return []
        idx = self.index
        candidates = [c for c in self._candidates(idx, tokens) if not self._cuts_a_name(tokens, c.start)]
        if candidates:
            # Parses that recognise a whole level less than the best one are noise in the dropdown, and so are
            # parses that recognise nothing for sure (a street name that happens to be a ward elsewhere).
            floor = max(max(c.score for c in candidates) - 10.0, 1.0)
            candidates = [c for c in candidates if c.score > floor]
        candidates.sort(key=lambda c: -c.score)
        out: list[AddressSuggestion] = []
        shown: list[tuple[str, str, str]] = []
        for c in candidates:
            s = self._suggestion(idx, tokens, c)
            fields = (s.ward, s.district, s.province)
            # A shorter parse of the same place ("Q.1, TP.HCM" after "Bến Nghé, Q.1, TP.HCM") adds nothing.
            if any(all(f in ("", g) for f, g in zip(fields, other, strict=True)) for other in shown):
                continue
            shown.append(fields)
            out.append(s)
            if len(out) >= limit:
                break
        return out

    def resolve(self, s: AddressSuggestion, *, session_token: str | None = None) -> AddressSuggestion:
        """Offline suggestions are complete; another provider's label is parsed to fill what it lacks."""
        if s.provider == self.name or (s.ward and s.province):
            return s
        parsed = self.suggest(s.label, limit=1)
        if not parsed:
            return s
        p = parsed[0]
        return replace(
            s,
            street=s.street or p.street,
            ward=s.ward or p.ward,
            district=s.district or p.district,
            province=s.province or p.province,
            country=s.country or COUNTRY,
        )

    # -- internals ----------------------------------------------------------------------------

    @staticmethod
    def _cuts_a_name(tokens: _Tokens, start: int) -> bool:
        before = tokens.words[max(0, start - 2) : start]
        return bool(before) and (before[-1] in _TYPE_WORDS or " ".join(before) in _TYPE_WORDS)

    def _candidates(self, idx: OfflineIndex, tokens: _Tokens) -> list[_Candidate]:
        words = tokens.words
        end = len(words)
        # A trailing postcode ("700000") and "Việt Nam" are accepted and ignored: the country is always Việt Nam.
        if end > 1 and words[end - 1].isdigit() and len(words[end - 1]) >= 5:
            end -= 1
        for k in (2, 1):
            if end - k >= 1 and words[end - k : end] in _COUNTRY_KEYS:
                end -= k
                break
        by_end = idx.spans(tokens)
        out: list[_Candidate] = []

        def walk(stop: int, chain: list[_Span], offset: float) -> None:
            if chain:
                out.extend(self._evaluate(idx, tokens, chain, offset))
            max_level = chain[-1].level if chain else PROVINCE + 1
            for span in by_end.get(stop, ()):
                if span.level < max_level and (not span.partial or not chain):
                    walk(span.start, [*chain, span], offset)

        walk(end, [], 0.0)
        if tokens.open_end and end > 1:
            # The last word may start nothing yet ("..., Phường Sài Gòn, TP"): keep suggesting what precedes it.
            walk(end - 1, [], -3.0)
        return out

    def _evaluate(self, idx: OfflineIndex, tokens: _Tokens, chain: list[_Span], offset: float) -> list[_Candidate]:
        """Consistent (ward, district, province) triples for a right-to-left chain of spans."""
        by_level = {span.level: span for span in chain}
        base = 10.0 * len(chain) + offset
        has_commas = any(tokens.segment_start[1:])
        for span in chain:
            base += span.end - span.start
            if tokens.segment_start[span.start]:
                base += 1.0  # the name fills a comma-separated part on its own
            elif has_commas and not span.prefixed:
                # In "36 Hàng Bạc, Hoàn Kiếm, Hà Nội" the divisions have their own parts: "Hàng Bạc" is the street.
                base -= 11.0 + span.end - span.start
            elif span is chain[-1] and span.start > 0 and tokens.words[span.start - 1].isdigit() and not span.prefixed:
                # "12 Nguyễn Huệ": a house number is followed by a street name, even one that is also a ward's.
                base -= 11.0 + span.end - span.start
            if span.partial:
                base -= 3.0
        if chain[0].level == PROVINCE:
            base += 1.0  # addresses end with the province ("..., Sài Gòn" is the city, not the ward)
        units = idx.units
        results: list[_Candidate] = []
        for system in (NEW, OLD):
            if system == NEW and DISTRICT in by_level:
                continue
            bonus = 0.5 if system == NEW else 0.0  # without a district, today's divisions win
            provinces = self._hits(idx, tokens, by_level.get(PROVINCE), system)
            districts = self._hits(idx, tokens, by_level.get(DISTRICT), system)
            wards = self._hits(idx, tokens, by_level.get(WARD), system)
            if WARD in by_level:
                for uid, pre in wards.items():
                    d = units[uid].parent if system == OLD else -1
                    p = idx.province_of(uid)
                    if (DISTRICT in by_level and d not in districts) or (PROVINCE in by_level and p not in provinces):
                        continue
                    score = base + bonus + pre + districts.get(d, 0) + provinces.get(p, 0)
                    results.append(_Candidate(score, uid, d, p, chain[-1].start))
            elif DISTRICT in by_level:
                for uid, pre in districts.items():
                    p = units[uid].parent
                    if PROVINCE in by_level and p not in provinces:
                        continue
                    results.append(_Candidate(base + pre + provinces.get(p, 0), -1, uid, p, chain[-1].start))
            else:
                for uid, pre in provinces.items():
                    results.append(_Candidate(base + bonus + pre, -1, -1, uid, chain[-1].start))
        return results

    @staticmethod
    def _hits(idx: OfflineIndex, tokens: _Tokens, span: _Span | None, system: str) -> dict[int, float]:
        """Units of `system` named by the span, each with its bonus: +1 when its type word was typed, and
        +0.3 / -12 when the accents typed agree / disagree with its name ("Huệ" is not "Huế")."""
        if span is None:
            return {}
        end_char = tokens.starts[span.end] if span.end < len(tokens.starts) else len(tokens.text)
        typed = _accented_words(tokens.text[tokens.starts[span.start] : end_char])
        out: dict[int, float] = {}
        for h in span.hits:
            unit = idx.units[h.unit]
            if unit.system != system:
                continue
            bonus = 1.0 if h.prefixed else 0.0
            if typed and unit.accented:
                agreement = _accent_agreement(typed, unit.accented, span.partial)
                bonus += 0.3 if agreement > 0 else -12.0 if agreement < 0 else 0.0
            out[h.unit] = max(out[h.unit], bonus) if h.unit in out else bonus
        return out

    @staticmethod
    def _suggestion(idx: OfflineIndex, tokens: _Tokens, c: _Candidate) -> AddressSuggestion:
        street = tokens.text[: tokens.starts[c.start]].rstrip(" ,-;") if c.start < len(tokens.starts) else ""
        ward = idx.units[c.ward].name if c.ward >= 0 else ""
        district = idx.units[c.district].name if c.district >= 0 else ""
        province = idx.units[c.province].name
        label = ", ".join(part for part in (street, ward, district, province) if part)
        return AddressSuggestion(label, street, ward, district, province, COUNTRY, OfflineProvider.name)


def _package_dir(package: str) -> Path:
    # find_spec locates the package without importing it (vietnamadminunits' __init__ pulls in shapely).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package {package!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def build_index() -> OfflineIndex:
    new = json.loads((_package_dir("vietnam_provinces") / "data" / "nested-divisions.json").read_text("utf-8"))
    db = _package_dir("vietnamadminunits") / "data" / "dataset.db"
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        rows = conn.execute(
            "SELECT province, district, ward FROM admin_units_legacy ORDER BY provinceCode, districtCode, wardCode"
        ).fetchall()
    return OfflineIndex(new, rows)


_index: OfflineIndex | None = None
_index_lock = threading.Lock()


def shared_index() -> OfflineIndex:
    """The process-wide index, built on first use (a few hundred ms) and shared by all threads."""
    global _index
    if _index is None:
        with _index_lock:
            if _index is None:
                _index = build_index()
    return _index
