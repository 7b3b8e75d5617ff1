from __future__ import annotations

import pytest

from crm_app.services.phones import display_phone, is_mobile, normalise_phone, split_phones


@pytest.mark.parametrize(
    "raw",
    ["84912345678", "+84912345678", "0912 345 678", "0912.345.678", "+84 (0) 912 345 678",
     "０９１２３４５６７８", "912345678", 912345678, 912345678.0, "0084912345678", " 0912-345-678 "],
)
def test_one_number_written_many_ways(raw: object) -> None:
    assert normalise_phone(raw) == "+84912345678"


@pytest.mark.parametrize(
    ("old", "new"),
    [("01201234567", "+84701234567"), ("01231234567", "+84831234567"),
     ("01621234567", "+84321234567"), ("01691234567", "+84391234567"),
     ("01861234567", "+84561234567"), ("01991234567", "+84591234567"),
     ("841621234567", "+84321234567")],
)
def test_pre_2018_eleven_digit_mobiles_map_to_ten(old: str, new: str) -> None:
    assert normalise_phone(old) == new


def test_landline_is_a_valid_phone_but_not_a_mobile() -> None:
    e164 = normalise_phone("024 3823 4567")
    assert e164 == "+842438234567"
    assert not is_mobile(e164)
    assert is_mobile(normalise_phone("0912345678"))


@pytest.mark.parametrize("raw", ["", None, "abc", "12345", "0912", "+1 202", float("nan")])
def test_garbage_is_not_a_phone(raw: object) -> None:
    assert normalise_phone(raw) is None


def test_display_form() -> None:
    assert display_phone("+84912345678") == "0912345678"
    assert display_phone(None) == ""


def test_normalising_twice_changes_nothing_for_a_short_number() -> None:
    # Found by the fuzz test: "+846900000" read back as 084 6900000.
    assert normalise_phone("06900000") == "+846900000"
    assert normalise_phone("+846900000") == "+846900000"


@pytest.mark.parametrize(("cell", "numbers"), [
    ("0912345682 - 0987654321", ["+84912345682", "+84987654321"]),
    ("0912345682-0987654321", ["+84912345682", "+84987654321"]),
    ("0912345682/028 3822 1234", ["+84912345682", "+842838221234"]),
    ("0912 345 678 hoặc 0987 654 321", ["+84912345678", "+84987654321"]),
    ("0912345678 (Zalo); 0987654321 (gọi giờ hành chính)", ["+84912345678", "+84987654321"]),
    ("0912345678\n0987654321", ["+84912345678", "+84987654321"]),
    ("0912345678 0987654321", ["+84912345678", "+84987654321"]),
    ("0912345678, 0912 345 678", ["+84912345678"]),  # the same number twice
])
def test_several_numbers_in_one_cell_are_split(cell: str, numbers: list[str]) -> None:
    assert normalise_phone(cell) is None
    assert split_phones(cell) == numbers


@pytest.mark.parametrize("cell", ["0912-345-678-9", "0912345678 - abc", "0912345678; 09l2345686",
                                  "0912 345", "lh anh Nam", ""])
def test_a_cell_that_is_not_only_numbers_is_not_guessed(cell: str) -> None:
    assert split_phones(cell) == []
