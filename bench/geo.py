"""Accuracy and per-keystroke time of the offline address suggestions, in one run.

Accuracy: the typed-address set (tests/fixtures/geo/typed_addresses.py, addresses written the ways people type
them) — is the expected ward, district and province among the first 3 suggestions. Time: every one of those
addresses, and 100 more built from random real divisions with a fixed seed (pre-2025 and 2025 forms, with and
without accents, abbreviations and commas), typed one character at a time, timing OfflineProvider.suggest() on
every prefix (the typo matches of earlier parts are remembered, as when typing; nothing else
is cached). Target: accuracy ≥ 97 %, p95 ≤ 20 ms.

    .venv/bin/python bench/geo.py
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repo, not bench/ (see queue.py)

from crm_app.services.geo.divisions import DISTRICT, NEW, OLD, WARD, shared_index  # noqa: E402
from crm_app.services.geo.offline import OfflineProvider  # noqa: E402
from crm_app.services.text import fold  # noqa: E402
from tests.fixtures.geo import score  # noqa: E402
from tests.fixtures.geo.typed_addresses import CASES, Case  # noqa: E402

STREETS = [
    "12 Nguyễn Huệ",
    "45 Lê Lợi",
    "168 Trần Hưng Đạo",
    "Số 8 ngõ 15 Hoàng Quốc Việt",
    "22/5 Cách Mạng Tháng 8",
    "Hẻm 51 Cao Thắng",
    "Tầng 3, 17 Láng Hạ",
    "Thôn 2",
    "Ấp Bình Hạ",
    "99 Điện Biên Phủ",
]
ABBREVIATIONS = {
    "Phường ": "P. ",
    "Quận ": "Q.",
    "Huyện ": "H. ",
    "Thị trấn ": "TT. ",
    "Xã ": "X. ",
    "Thành phố Hồ Chí Minh": "TP.HCM",
    "Thành phố Hà Nội": "HN",
    "Thành phố ": "TP ",
    "Tỉnh ": "",
}


def _abbreviate(text: str) -> str:
    for long, short in ABBREVIATIONS.items():
        text = text.replace(long, short)
    return text


def generated(n: int = 100, seed: int = 2025) -> list[Case]:
    """Addresses of random real places, each with the place it names; every fifth has a letter dropped from
    the ward's name (when that name has 5 letters or more)."""
    idx = shared_index()
    rng = random.Random(seed)
    old_wards = [u for u in idx.units if u.level == WARD and u.system == OLD]
    new_wards = [u for u in idx.units if u.level == WARD and u.system == NEW]
    out: list[Case] = []
    for i in range(n):
        street = rng.choice(STREETS)
        if i % 2:
            ward = rng.choice(old_wards)
            district = idx.units[ward.parent]
            assert district.level == DISTRICT
            province = idx.units[district.parent]
            parts = [street, ward.name, district.name, province.name]
        else:
            ward = rng.choice(new_wards)
            district, province = None, idx.units[ward.parent]
            parts = [street, ward.name, province.name]
        if i % 5 == 4 and len("".join(ward.core)) >= 5 and "".join(ward.core).isalpha():
            name = parts[1]
            k = rng.randrange(len(name) - len(name.split()[-1]), len(name))  # a letter of the name's last word
            parts[1] = name[:k] + name[k + 1 :]
        text = ", ".join(parts)
        style = i % 4
        if style == 1:
            text = _abbreviate(text)
        elif style == 2:
            text = fold(text)  # typed without accents
        elif style == 3:
            text = fold(_abbreviate(text)).replace(",", "")  # no accents, no commas
        out.append((text, ward.name, district.name if district else "", province.name, "generated"))
    return out


def main() -> None:
    started = time.perf_counter()
    shared_index()
    build_ms = (time.perf_counter() - started) * 1000
    provider = OfflineProvider()
    result = score(provider)
    random_places = generated()
    generated_result = score(provider, random_places)
    samples: list[float] = []
    cpu: list[float] = []  # this thread's CPU time: what the wall time would be on an idle machine
    typed = [c[0] for c in CASES + random_places]
    shared_index().similar.cache_clear()  # typo matches are remembered only from the keystrokes timed here
    for address in typed:
        for i in range(1, len(address) + 1):
            t, c = time.perf_counter(), time.thread_time()
            provider.suggest(address[:i])
            samples.append((time.perf_counter() - t) * 1000)
            cpu.append((time.thread_time() - c) * 1000)
    samples.sort()
    cpu.sort()
    p50 = statistics.median(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(f"offline index build: {build_ms:.0f} ms (once per process)")
    print(result.report())
    print(f"accuracy target >= 97%: {'met' if result.accuracy >= 0.97 else 'MISSED'}")
    print(f"random real places, 4 styles, every 5th mistyped: {generated_result.report().splitlines()[0]}")
    print("\n".join(generated_result.misses))
    print(f"typed {len(typed)} addresses ({len(CASES)} from the set), {len(samples)} keystrokes")
    print(f"offline suggest per keystroke: p50 {p50:.2f} ms, p95 {p95:.2f} ms, max {samples[-1]:.2f} ms")
    print(f"  CPU time: p50 {statistics.median(cpu):.2f} ms, p95 {cpu[int(len(cpu) * 0.95) - 1]:.2f} ms")
    print(f"p95 target <= 20 ms: {'met' if p95 <= 20 else 'MISSED'}")


if __name__ == "__main__":
    main()
