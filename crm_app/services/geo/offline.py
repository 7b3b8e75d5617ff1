"""Offline address suggestions over Vietnam's administrative divisions, both maps (see divisions.py).

Parsing works right to left, the way Vietnamese addresses are written (street, ward, district, province): the
query is split into folded words, every run of words is looked up among the ways division names are typed
("p ben nghe", "ben nghe", "q 1", "tp hcm"...), runs the user may still be typing are completed, and runs that
stand on their own (a comma-separated part, the words after a type word, the end of the query) are also matched
with one or two wrong letters. Chains of adjacent runs ending at the end of the query are kept only where each
unit lies inside the next one, so a suggestion never names a place that does not exist. Whatever precedes the
chain is the street, kept exactly as typed.

A suggestion is in the form typed: with a district it is pre-2025 (ward, district, one of 63 provinces), and
then it also names its 2025 successor; a ward with only a province is first read as a 2025 ward.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, replace

from crm_app.services.geo.base import COUNTRY, AddressSuggestion
from crm_app.services.geo.divisions import (
    DISTRICT,
    NEW,
    OLD,
    PROVINCE,
    TOKEN,
    TYPE_PREFIXES,
    TYPE_WORDS,
    WARD,
    DivisionIndex,
    Hit,
    accented_words,
    fold_char,
    fold_words,
    shared_index,
)

_COUNTRY_KEYS = {("viet", "nam"), ("vietnam",), ("vn",), ("vietnamese",)}
# Words before a one-letter block or lot name ("Lô F", "Block Q", "Tòa nhà X"): that letter is no type word.
_BUILDING_WORDS = {"lo", "block", "blok", "toa", "nha", "day", "khu", "tang", "can", "ho", "kiot", "kios", "cua"}
_MAX_SPAN = 8
_MAX_PREFIX_COMPLETIONS = 40  # distinct next words considered for a prefix
_MAX_PREFIX_NAMES = 200  # names considered per completed word ("tp" starts hundreds)
_TAIL_WORDS = 4  # words at the end of a query without commas tried as a province with a typo
_EDIT_PENALTY = 2.5  # per wrong letter: an exact name always ranks above a typo match


@dataclass(frozen=True, slots=True)
class _Tokens:
    text: str  # the NFC query; `starts` index into it
    words: tuple[str, ...]
    starts: tuple[int, ...]
    segment_start: tuple[bool, ...]  # the word opens a comma-separated part
    open_end: bool  # the last word or name may still be being typed


def tokenize(query: str) -> _Tokens:
    text = unicodedata.normalize("NFC", query)
    # One folded character per original character, so word offsets point into the typed text.
    folded = "".join(fold_char(c) for c in text)
    words: list[str] = []
    starts: list[int] = []
    seg_start: list[bool] = []
    after_comma = True
    for m in TOKEN.finditer(folded):
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


def _type_word_at(words: tuple[str, ...], i: int) -> int:
    """Length in words of the type word starting at `i` ("thanh pho" 2, "p" 1), 0 when there is none."""
    if tuple(words[i : i + 2]) in TYPE_WORDS:
        return 2
    return 1 if (words[i],) in TYPE_WORDS else 0


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


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int
    level: int
    hits: tuple[Hit, ...]
    partial: bool  # the last word was completed from a prefix
    prefixed: bool  # starts with a type word ("P.", "Quận")
    fuzzy: bool  # matched with wrong letters


def _spans(idx: DivisionIndex, tokens: _Tokens) -> dict[int, list[_Span]]:
    """Every run of words naming a division, grouped by the index where it ends."""
    words = tokens.words
    n = len(words)
    by_end: dict[int, list[_Span]] = defaultdict(list)
    for start in range(n):
        crossed = False
        for end in range(start + 1, min(n, start + _MAX_SPAN) + 1):
            crossed = crossed or (end > start + 1 and tokens.segment_start[end - 1])
            key = words[start:end]
            hits = idx.exact.get(key)
            if hits and crossed:
                # A name never spans a comma, except a 2025 name with a dash typed as two parts
                # ("Xuân Hương - Đà Lạt" as "Xuân Hương, Đà Lạt").
                hits = [h for h in hits if " - " in idx.units[h.unit].name]
            if hits:
                _add_spans(idx, by_end, start, end, hits, partial=False, fuzzy=False)
            if end == n and tokens.open_end and not crossed:
                _add_prefix_spans(idx, by_end, start, end, key)
    _add_fuzzy_spans(idx, tokens, by_end)
    return by_end


def _add_prefix_spans(
    idx: DivisionIndex, by_end: dict[int, list[_Span]], start: int, end: int, key: tuple[str, ...]
) -> None:
    head, last = key[:-1], key[-1]
    if not head and len(last) < 3:
        return  # one or two letters would match thousands of names
    words = idx.completions.get(head)
    if not words:
        return
    i = bisect.bisect_left(words, last)
    hits: list[Hit] = []
    for word in words[i : i + _MAX_PREFIX_COMPLETIONS]:
        if not word.startswith(last):
            break
        for full in idx.extensions[(*head, word)][:_MAX_PREFIX_NAMES]:
            if full != key:  # the exact match is already a span of its own
                # A type word counts only once typed in full: "Thành" does not make "Thành phố Huế" typed.
                hits.extend(h for h in idx.exact[full] if not h.prefixed or 0 < _type_word_at(key, 0) < len(key))
    if hits:
        _add_spans(idx, by_end, start, end, hits, partial=True, fuzzy=False)


def _standalone_runs(tokens: _Tokens) -> set[tuple[int, int]]:
    """Runs of words that can stand for a name on their own: a comma-separated part, the words from a type
    word to the next type word or comma, and the last few words of the query. Only these are typo-matched."""
    words = tokens.words
    n = len(words)
    runs: set[tuple[int, int]] = set()
    bounds = [i for i in range(n) if tokens.segment_start[i]] + [n]
    for s, e in zip(bounds, bounds[1:], strict=False):
        if e - s <= _MAX_SPAN:
            runs.add((s, e))
        type_starts = [i for i in range(s, e) if _type_word_at(words, i)]
        for k, i in enumerate(type_starts):
            stop = next((j for j in type_starts[k + 1 :] if j > i + _type_word_at(words, i)), e)
            if stop - i <= _MAX_SPAN:
                runs.add((i, stop))
    last_segment = bounds[-2] if len(bounds) > 1 else 0
    for k in range(1, _TAIL_WORDS + 1):
        if n - k >= last_segment:
            runs.add((n - k, n))
    return runs


def _add_fuzzy_spans(idx: DivisionIndex, tokens: _Tokens, by_end: dict[int, list[_Span]]) -> None:
    words = tokens.words
    for start, end in _standalone_runs(tokens):
        key = words[start:end]
        # A mistyped name can be another place's exact name ("Thuận Hà" for "Thuận Hòa"): it is matched
        # both ways, and suggest() keeps the typo reading only where it recognises more than any exact one.
        exact = key in idx.exact
        t = _type_word_at(key, 0)
        name = key[t:]
        letters = "".join(name)
        # One wrong letter in a name of 5 to 7 letters, two from 8 letters on ("Hồ Chí Mnh", "Dich Vong Hauu").
        if len(letters) < 5 or not letters.isalpha():
            continue
        max_edits = 1 if len(letters) < 8 else 2
        typed_type = " ".join(key[:t])
        levels = TYPE_WORDS[key[:t]] if t else (WARD, DISTRICT, PROVINCE)
        hits: list[Hit] = []
        for level in levels:
            for uid, edits in idx.similar(letters, level, max_edits):
                unit = idx.units[uid]
                if (t and typed_type not in TYPE_PREFIXES[level].get(unit.type_word, ())) or (exact and not edits):
                    continue
                hits.append(Hit(uid, bool(t), edits))
        if hits:
            _add_spans(idx, by_end, start, end, hits, partial=False, fuzzy=True)


def _add_spans(
    idx: DivisionIndex,
    by_end: dict[int, list[_Span]],
    start: int,
    end: int,
    hits: list[Hit],
    *,
    partial: bool,
    fuzzy: bool,
) -> None:
    per_level: dict[int, list[Hit]] = defaultdict(list)
    for h in hits:
        per_level[idx.units[h.unit].level].append(h)
    for level, level_hits in per_level.items():
        prefixed = any(h.prefixed for h in level_hits)
        by_end[end].append(_Span(start, end, level, tuple(level_hits), partial, prefixed, fuzzy))


@dataclass(frozen=True, slots=True)
class _Candidate:
    score: float
    ward: int
    district: int
    province: int
    start: int  # first word of the administrative part
    levels: int  # divisions recognised in the text
    fuzzy: bool  # one of them with wrong letters


class OfflineProvider:
    """Suggests and fills ward/district/province from the bundled division data; no network."""

    name = "offline"

    def __init__(self, index: DivisionIndex | None = None):
        self._index = index

    @property
    def index(self) -> DivisionIndex:
        if self._index is None:
            self._index = shared_index()
        return self._index

    def suggest(self, query: str, *, session_token: str | None = None, limit: int = 6) -> list[AddressSuggestion]:
        tokens = tokenize(query)
        if not tokens.words:
            return []
        idx = self.index
        candidates = self._candidates(idx, tokens)
        exact_levels = max((c.levels for c in candidates if not c.fuzzy), default=0)
        candidates = [c for c in candidates if not c.fuzzy or c.levels > exact_levels]
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
        """Offline suggestions are complete. Another provider's answer is put in the index's spelling when it names
        a place that exists ("Bến Nghé" + "Quận 1" → "Phường Bến Nghé"), with a ward it left out taken from its
        formatted address, and its 2025 successor; what does not match is kept as the provider spelled it."""
        if s.provider == self.name:
            return s
        given = [p for p in (s.ward, s.district, s.province) if p]
        known = None
        if given:
            known = next(
                (
                    c
                    for c in self.suggest(", ".join(given), limit=6)
                    if not c.street and bool(c.ward) == bool(s.ward) and bool(c.district) == bool(s.district)
                ),
                None,
            )
        from_label = [
            c
            for c in self.suggest(s.label, limit=6)
            if known is None
            or (c.province == known.province and (c.district or "") in ("", known.district) and c.ward)
        ]
        if known is None or not known.ward:
            # The ward is often only in the formatted address ("23 Nguyễn Thị Huỳnh, Phường 8, Phú Nhuận, ...").
            known = next((c for c in from_label if c.ward), known or (from_label[0] if from_label else None))
        country = COUNTRY if fold_words(s.country) in _COUNTRY_KEYS or not s.country else s.country
        if known is None:
            return replace(s, country=country)
        return replace(
            known,
            label=s.label,
            street=s.street or known.street,
            country=country,
            provider=s.provider,
            ref=s.ref,
        )

    # -- internals ----------------------------------------------------------------------------

    def _candidates(self, idx: DivisionIndex, tokens: _Tokens) -> list[_Candidate]:
        words = tokens.words
        end = len(words)
        # A trailing postcode ("700000") and "Việt Nam" are accepted and ignored: the country is always Việt Nam.
        if end > 1 and words[end - 1].isdigit() and len(words[end - 1]) >= 5:
            end -= 1
        for k in (2, 1):
            if end - k >= 1 and words[end - k : end] in _COUNTRY_KEYS:
                end -= k
                break
        by_end = _spans(idx, tokens)
        out: list[_Candidate] = []

        def walk(stop: int, chain: list[_Span], offset: float) -> None:
            if chain:
                out.extend(self._evaluate(idx, tokens, chain, offset, end))
            max_level = chain[-1].level if chain else PROVINCE + 1
            for span in by_end.get(stop, ()):
                if span.level < max_level and (not span.partial or not chain):
                    walk(span.start, [*chain, span], offset)

        walk(end, [], 0.0)
        if tokens.open_end and end > 1:
            # The last word may start nothing yet ("..., Phường Sài Gòn, TP"): keep suggesting what precedes it.
            walk(end - 1, [], -3.0)
        last_part = max((i for i in range(end) if tokens.segment_start[i]), default=0)
        if last_part > 0 and end - last_part <= 2 and last_part != end - 1:
            # A last part that names nothing ("..., Q1, TP HCMM") does not hide the ward and district before it.
            walk(last_part, [], -4.0)
        return out

    @staticmethod
    def _cuts_a_name(tokens: _Tokens, span: _Span) -> bool:
        """The parse starts inside a name: right after a type word that belongs to it ("P. | Bến Nghé")."""
        i = span.start
        if span.prefixed or tokens.segment_start[i]:
            return False
        words = tokens.words
        for t in (2, 1):
            if i - t < 0 or any(tokens.segment_start[i - t + 1 : i + 1]):
                continue
            typed = words[i - t : i]
            if typed not in TYPE_WORDS or span.level not in TYPE_WORDS[typed]:
                continue
            # "Lô F", "Block Q", "Tòa nhà X": a block letter, not "Phường"/"Quận"/"Xã".
            building = t == 1 and len(typed[0]) == 1 and i >= 2 and words[i - 2] in _BUILDING_WORDS
            return not building
        return False

    def _evaluate(
        self, idx: DivisionIndex, tokens: _Tokens, chain: list[_Span], offset: float, end: int
    ) -> list[_Candidate]:
        """Consistent (ward, district, province) triples for a right-to-left chain of spans."""
        first = chain[-1]
        if self._cuts_a_name(tokens, first):
            return []
        alone = len(chain) == 1 and not first.prefixed and not tokens.segment_start[first.start]
        if alone and not (first.level == PROVINCE and first.end == end and not first.partial):
            # A name alone in the middle of a part, without its type word, is a street's words ("Tôn Đức Thắng"
            # is no "Phường Đức Thắng", "Trần Duy Hưng" no "Hưng Yên"), except a province typed last
            # ("36 Hàng Bạc Hà Nội").
            return []
        by_level = {span.level: span for span in chain}
        shape = (len(chain), any(span.fuzzy for span in chain))
        base = 10.0 * len(chain) + offset
        has_commas = any(tokens.segment_start[1:])
        for span in chain:
            base += span.end - span.start
            if tokens.segment_start[span.start]:
                base += 1.0  # the name fills a comma-separated part on its own
            elif has_commas and not span.prefixed:
                # In "36 Hàng Bạc, Hoàn Kiếm, Hà Nội" the divisions have their own parts: "Hàng Bạc" is the street.
                base -= 11.0 + span.end - span.start
            elif span is first and span.start > 0 and tokens.words[span.start - 1].isdigit() and not span.prefixed:
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
                    results.append(_Candidate(score, uid, d, p, first.start, *shape))
            elif DISTRICT in by_level:
                for uid, pre in districts.items():
                    p = units[uid].parent
                    if PROVINCE in by_level and p not in provinces:
                        continue
                    results.append(_Candidate(base + pre + provinces.get(p, 0), -1, uid, p, first.start, *shape))
            else:
                for uid, pre in provinces.items():
                    results.append(_Candidate(base + bonus + pre, -1, -1, uid, first.start, *shape))
        return results

    @staticmethod
    def _hits(idx: DivisionIndex, tokens: _Tokens, span: _Span | None, system: str) -> dict[int, float]:
        """Units of `system` named by the span, each with its bonus: +1 when its type word was typed,
        +0.3 / -12 when the accents typed agree / disagree with its name ("Huệ" is not "Huế"), and
        -2.5 per wrong letter."""
        if span is None:
            return {}
        end_char = tokens.starts[span.end] if span.end < len(tokens.starts) else len(tokens.text)
        typed = accented_words(tokens.text[tokens.starts[span.start] : end_char])
        out: dict[int, float] = {}
        for h in span.hits:
            unit = idx.units[h.unit]
            if unit.system != system:
                continue
            bonus = 1.0 if h.prefixed else 0.0
            if span.fuzzy:
                bonus -= 0.5 + _EDIT_PENALTY * h.edits
            elif typed and unit.accented:
                agreement = _accent_agreement(typed, unit.accented, span.partial)
                bonus += 0.3 if agreement > 0 else -12.0 if agreement < 0 else 0.0
            out[h.unit] = max(out[h.unit], bonus) if h.unit in out else bonus
        return out

    @staticmethod
    def _suggestion(idx: DivisionIndex, tokens: _Tokens, c: _Candidate) -> AddressSuggestion:
        street = tokens.text[: tokens.starts[c.start]].rstrip(" ,-;") if c.start < len(tokens.starts) else ""
        units = idx.units
        ward = units[c.ward].name if c.ward >= 0 else ""
        district = units[c.district].name if c.district >= 0 else ""
        province = units[c.province].name
        label = ", ".join(part for part in (street, ward, district, province) if part)
        s = AddressSuggestion(label, street, ward, district, province, COUNTRY, OfflineProvider.name)
        if units[c.province].system == OLD:
            successors = idx.successors.get(c.ward if c.ward >= 0 else c.district, ())
            new_wards = [units[u].name for u in successors if units[u].level == WARD]
            new_province = idx.successors.get(c.province, ())
            if new_wards:
                new_province = (idx.province_of(successors[0]),)
            s = replace(
                s,
                ward_2025=new_wards[0] if new_wards else "",
                ward_2025_others=tuple(new_wards[1:]),
                province_2025=units[new_province[0]].name if new_province else "",
            )
        return s
