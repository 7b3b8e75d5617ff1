"""Per-keystroke suggestion time of the offline address provider.

Types ~100 realistic addresses (old district-based and new ward-based, with and without accents and
abbreviations, built from random real divisions with a fixed seed) one character at a time and times
OfflineProvider.suggest() on every prefix, without any cache. Target: p95 under 20 ms.

    .venv/bin/python bench/geo.py
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repo, not bench/ (see queue.py)

from crm_app.services.geo.offline import DISTRICT, NEW, OLD, WARD, OfflineProvider, shared_index  # noqa: E402
from crm_app.services.text import fold  # noqa: E402

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


def addresses(n: int = 100, seed: int = 2025) -> list[str]:
    idx = shared_index()
    rng = random.Random(seed)
    old_wards = [u for u in idx.units if u.level == WARD and u.system == OLD]
    new_wards = [u for u in idx.units if u.level == WARD and u.system == NEW]
    out: list[str] = []
    for i in range(n):
        street = rng.choice(STREETS)
        if i % 2:
            ward = rng.choice(old_wards)
            district = idx.units[ward.parent]
            assert district.level == DISTRICT
            parts = [street, ward.name, district.name, idx.units[district.parent].name]
        else:
            ward = rng.choice(new_wards)
            parts = [street, ward.name, idx.units[ward.parent].name]
        text = ", ".join(parts)
        style = i % 4
        if style == 1:
            text = _abbreviate(text)
        elif style == 2:
            text = fold(text)  # typed without accents
        elif style == 3:
            text = fold(_abbreviate(text)).replace(",", "")  # no accents, no commas
        out.append(text)
    return out


def main() -> None:
    started = time.perf_counter()
    shared_index()
    build_ms = (time.perf_counter() - started) * 1000
    provider = OfflineProvider()
    samples: list[float] = []
    typed = addresses()
    for address in typed:
        for i in range(1, len(address) + 1):
            t = time.perf_counter()
            provider.suggest(address[:i])
            samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    p50 = statistics.median(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(f"offline index build: {build_ms:.0f} ms (once per process)")
    print(f"typed {len(typed)} addresses, {len(samples)} keystrokes")
    print(f"offline suggest per keystroke: p50 {p50:.2f} ms, p95 {p95:.2f} ms, max {samples[-1]:.2f} ms")
    print(f"p95 target < 20 ms: {'met' if p95 < 20 else 'MISSED'}")


if __name__ == "__main__":
    main()
