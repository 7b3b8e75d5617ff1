"""Accuracy of the offline address provider on addresses typed the many ways Vietnamese users type them.

"Right" means the top suggestion has exactly the expected street (as typed), ward, district, province and
country "Việt Nam". District is expected only for pre-2025 (district-based) input: for ward-based input,
and for input naming a ward that still exists after the 2025 reform without naming a district, the
expected district is empty, because today's divisions have no districts.
"""

from __future__ import annotations

import threading
import unicodedata

import pytest

from crm_app.services.geo import COUNTRY, OfflineProvider
from crm_app.services.geo.offline import shared_index

HCM = "Thành phố Hồ Chí Minh"
HN = "Thành phố Hà Nội"
DN = "Thành phố Đà Nẵng"
CT = "Thành phố Cần Thơ"

# (typed address, street, ward, district, province)
CASES: list[tuple[str, str, str, str, str]] = [
    # --- pre-2025, district-based, Hồ Chí Minh ---------------------------------------------------
    ("12 Nguyễn Huệ, P. Bến Nghé, Q.1, TP.HCM", "12 Nguyễn Huệ", "Phường Bến Nghé", "Quận 1", HCM),
    ("12 Nguyen Hue, P Ben Nghe, Q1, TPHCM", "12 Nguyen Hue", "Phường Bến Nghé", "Quận 1", HCM),
    ("12 nguyễn huệ phường bến nghé quận 1 hồ chí minh", "12 nguyễn huệ", "Phường Bến Nghé", "Quận 1", HCM),
    ("12 nguyen hue ben nghe quan 1 sai gon", "12 nguyen hue", "Phường Bến Nghé", "Quận 1", HCM),
    ("12 Nguyễn Huệ, Bến Nghé, District 1, Ho Chi Minh City", "12 Nguyễn Huệ", "Phường Bến Nghé", "Quận 1", HCM),
    (
        "135 Nam Kỳ Khởi Nghĩa, Phường Bến Thành, Quận 1, TP. Hồ Chí Minh",
        "135 Nam Kỳ Khởi Nghĩa",
        "Phường Bến Thành",
        "Quận 1",
        HCM,
    ),
    ("59 Phạm Ngũ Lão, P.Phạm Ngũ Lão, Q.1, HCM", "59 Phạm Ngũ Lão", "Phường Phạm Ngũ Lão", "Quận 1", HCM),
    ("220 Hai Bà Trưng, phuong Da Kao, quan 1, tp hcm", "220 Hai Bà Trưng", "Phường Đa Kao", "Quận 1", HCM),
    ("Tân Định, Q1, HCM", "", "Phường Tân Định", "Quận 1", HCM),
    ("89 Cô Giang, P. Cô Giang, Q. 1, Sài Gòn", "89 Cô Giang", "Phường Cô Giang", "Quận 1", HCM),
    ("1 Võ Văn Tần, Phường Võ Thị Sáu, Quận 3, TP.HCM", "1 Võ Văn Tần", "Phường Võ Thị Sáu", "Quận 3", HCM),
    ("280 Nam Kỳ Khởi Nghĩa, P.9, Q.3, HCM", "280 Nam Kỳ Khởi Nghĩa", "Phường 9", "Quận 3", HCM),
    ("12 Kỳ Đồng, F9, Q3, TPHCM", "12 Kỳ Đồng", "Phường 9", "Quận 3", HCM),
    ("1 Đường 3 Tháng 2, Phường 12, Quận 10, HCM", "1 Đường 3 Tháng 2", "Phường 12", "Quận 10", HCM),
    ("475A Điện Biên Phủ, P.25, Q.Bình Thạnh, TP.HCM", "475A Điện Biên Phủ", "Phường 25", "Quận Bình Thạnh", HCM),
    ("Phường 22, Bình Thạnh, Hồ Chí Minh", "", "Phường 22", "Quận Bình Thạnh", HCM),
    ("Linh Trung, Thủ Đức, TPHCM", "", "Phường Linh Trung", "Thành phố Thủ Đức", HCM),
    (
        "10 Quốc Hương, P. Thảo Điền, TP. Thủ Đức, TP. HCM",
        "10 Quốc Hương",
        "Phường Thảo Điền",
        "Thành phố Thủ Đức",
        HCM,
    ),
    ("P Hiep Binh Chanh, TP Thu Duc, HCM", "", "Phường Hiệp Bình Chánh", "Thành phố Thủ Đức", HCM),
    ("Nguyễn Thị Thập, Tân Phong, Quận 7, Hồ Chí Minh", "Nguyễn Thị Thập", "Phường Tân Phong", "Quận 7", HCM),
    ("Phường 10, Gò Vấp, HCM", "", "Phường 10", "Quận Gò Vấp", HCM),
    ("Phường 2, Tân Bình, TPHCM", "", "Phường 2", "Quận Tân Bình", HCM),
    ("Phường 9, Phú Nhuận, HCM", "", "Phường 9", "Quận Phú Nhuận", HCM),
    ("Thị trấn Củ Chi, Huyện Củ Chi, TP HCM", "", "Thị trấn Củ Chi", "Huyện Củ Chi", HCM),
    ("xa ba diem, hoc mon, hcm", "", "Xã Bà Điểm", "Huyện Hóc Môn", HCM),
    ("Ấp 3, Xã Tân Thông Hội, H. Củ Chi, TP.HCM", "Ấp 3", "Xã Tân Thông Hội", "Huyện Củ Chi", HCM),
    ("Xã Tân Thông Hội, Củ Chi", "", "Xã Tân Thông Hội", "Huyện Củ Chi", HCM),
    ("Phường Tân Định, Quận 1", "", "Phường Tân Định", "Quận 1", HCM),
    ("12 nguyen hue p ben nghe q1 hcm", "12 nguyen hue", "Phường Bến Nghé", "Quận 1", HCM),
    ("12 Nguyễn Huệ,P.Bến Nghé,Q.1,TP.HCM,Việt Nam", "12 Nguyễn Huệ", "Phường Bến Nghé", "Quận 1", HCM),
    # --- pre-2025, Hà Nội ------------------------------------------------------------------------
    ("36 Hàng Bạc, P. Hàng Bạc, Q. Hoàn Kiếm, Hà Nội", "36 Hàng Bạc", "Phường Hàng Bạc", "Quận Hoàn Kiếm", HN),
    ("Tràng Tiền, Hoàn Kiếm, HN", "", "Phường Tràng Tiền", "Quận Hoàn Kiếm", HN),
    (
        "19 Lê Thánh Tông, phuong phan chu trinh, quan hoan kiem, ha noi",
        "19 Lê Thánh Tông",
        "Phường Phan Chu Trinh",
        "Quận Hoàn Kiếm",
        HN,
    ),
    ("Kim Mã, Ba Đình, Hà Nội", "", "Phường Kim Mã", "Quận Ba Đình", HN),
    ("Số 1 Đào Duy Anh, P. Phương Mai, Q. Đống Đa, HN", "Số 1 Đào Duy Anh", "Phường Phương Mai", "Quận Đống Đa", HN),
    ("Láng Hạ, Đống Đa, Hanoi", "", "Phường Láng Hạ", "Quận Đống Đa", HN),
    ("144 Xuân Thủy, Dịch Vọng Hậu, Cầu Giấy, Hà Nội", "144 Xuân Thủy", "Phường Dịch Vọng Hậu", "Quận Cầu Giấy", HN),
    ("P. Quan Hoa, Q. Cầu Giấy, TP Hà Nội", "", "Phường Quan Hoa", "Quận Cầu Giấy", HN),
    ("Yen Hoa, Cau Giay, Ha Noi", "", "Phường Yên Hòa", "Quận Cầu Giấy", HN),
    ("Bách Khoa, Hai Bà Trưng, HN", "", "Phường Bách Khoa", "Quận Hai Bà Trưng", HN),
    ("Khương Trung, Thanh Xuân, Hà Nội", "", "Phường Khương Trung", "Quận Thanh Xuân", HN),
    ("Bồ Đề, Long Biên, Hà Nội", "", "Phường Bồ Đề", "Quận Long Biên", HN),
    ("Nhân Chính, Q.Thanh Xuân, HN", "", "Phường Nhân Chính", "Quận Thanh Xuân", HN),
    ("Xã Bát Tràng, Huyện Gia Lâm, Hà Nội", "", "Xã Bát Tràng", "Huyện Gia Lâm", HN),
    ("Thị trấn Trâu Quỳ, Gia Lâm, HN", "", "Thị trấn Trâu Quỳ", "Huyện Gia Lâm", HN),
    ("so 5 ngo 10 lang ha, p lang ha, q dong da, hn", "so 5 ngo 10 lang ha", "Phường Láng Hạ", "Quận Đống Đa", HN),
    # --- pre-2025, other provinces ---------------------------------------------------------------
    ("Thạch Thang, Hải Châu, Đà Nẵng", "", "Phường Thạch Thang", "Quận Hải Châu", DN),
    ("P. Phước Ninh, Q. Hải Châu, TP. Đà Nẵng", "", "Phường Phước Ninh", "Quận Hải Châu", DN),
    ("An Hải Bắc, Sơn Trà, Da Nang", "", "Phường An Hải Bắc", "Quận Sơn Trà", DN),
    ("Phường Hòa Cường Bắc, Quận Hải Châu, Đà Nẵng", "", "Phường Hòa Cường Bắc", "Quận Hải Châu", DN),
    ("Phú Cường, Thủ Dầu Một, Bình Dương", "", "Phường Phú Cường", "Thành phố Thủ Dầu Một", "Tỉnh Bình Dương"),
    ("P. Hiệp Thành, TP Thủ Dầu Một, Bình Dương", "", "Phường Hiệp Thành", "Thành phố Thủ Dầu Một", "Tỉnh Bình Dương"),
    ("Phường Dĩ An, TP Dĩ An, Bình Dương", "", "Phường Dĩ An", "Thành phố Dĩ An", "Tỉnh Bình Dương"),
    ("Lộc Thọ, Nha Trang, Khánh Hòa", "", "Phường Lộc Thọ", "Thành phố Nha Trang", "Tỉnh Khánh Hòa"),
    ("Phường 1, TP Đà Lạt, Lâm Đồng", "", "Phường 1", "Thành phố Đà Lạt", "Tỉnh Lâm Đồng"),
    ("Xuân Khánh, Ninh Kiều, Cần Thơ", "", "Phường Xuân Khánh", "Quận Ninh Kiều", CT),
    ("P. Tân An, Q. Ninh Kiều, TP Cần Thơ", "", "Phường Tân An", "Quận Ninh Kiều", CT),
    (
        "Phường Thắng Tam, TP Vũng Tàu, Bà Rịa - Vũng Tàu",
        "",
        "Phường Thắng Tam",
        "Thành phố Vũng Tàu",
        "Tỉnh Bà Rịa - Vũng Tàu",
    ),
    ("Tân Phong, Biên Hòa, Đồng Nai", "", "Phường Tân Phong", "Thành phố Biên Hòa", "Tỉnh Đồng Nai"),
    ("P. Dư Hàng Kênh, Q. Lê Chân, Hải Phòng", "", "Phường Dư Hàng Kênh", "Quận Lê Chân", "Thành phố Hải Phòng"),
    ("Phường Hồng Hải, TP Hạ Long, Quảng Ninh", "", "Phường Hồng Hải", "Thành phố Hạ Long", "Tỉnh Quảng Ninh"),
    ("Phường Lê Lợi, TP Vinh, Nghệ An", "", "Phường Lê Lợi", "Thành phố Vinh", "Tỉnh Nghệ An"),
    (
        "22 Trần Phú, P. Lộc Thọ, TP. Nha Trang, Khánh Hoà",
        "22 Trần Phú",
        "Phường Lộc Thọ",
        "Thành phố Nha Trang",
        "Tỉnh Khánh Hòa",
    ),
    # --- pre-2025 ward without its district: the district is filled from the old data -------------
    ("P. Bến Nghé, TP HCM", "", "Phường Bến Nghé", "Quận 1", HCM),
    ("Phường Đa Kao, Hồ Chí Minh", "", "Phường Đa Kao", "Quận 1", HCM),
    ("Phường Dịch Vọng Hậu, Hà Nội", "", "Phường Dịch Vọng Hậu", "Quận Cầu Giấy", HN),
    ("Phường Thạch Thang, Đà Nẵng", "", "Phường Thạch Thang", "Quận Hải Châu", DN),
    ("phuong thao dien, hcm", "", "Phường Thảo Điền", "Thành phố Thủ Đức", HCM),
    ("Phú Cường, Bình Dương", "", "Phường Phú Cường", "Thành phố Thủ Dầu Một", "Tỉnh Bình Dương"),
    ("8 Phạm Ngọc Thạch, p ben nghe", "8 Phạm Ngọc Thạch", "Phường Bến Nghé", "Quận 1", HCM),
    # --- post-2025, ward-based -------------------------------------------------------------------
    ("12 Nguyễn Huệ, Phường Sài Gòn, TP Hồ Chí Minh", "12 Nguyễn Huệ", "Phường Sài Gòn", "", HCM),
    ("12 nguyen hue, phuong sai gon, tphcm", "12 nguyen hue", "Phường Sài Gòn", "", HCM),
    ("12 Nguyễn Huệ P Sài Gòn HCM", "12 Nguyễn Huệ", "Phường Sài Gòn", "", HCM),
    ("45 Lê Lợi, Phường Bến Thành, TP.HCM", "45 Lê Lợi", "Phường Bến Thành", "", HCM),
    ("Phường Tân Định, Thành phố Hồ Chí Minh", "", "Phường Tân Định", "", HCM),
    ("Phường Cầu Ông Lãnh, TP HCM", "", "Phường Cầu Ông Lãnh", "", HCM),
    ("Phường Bàn Cờ, HCM", "", "Phường Bàn Cờ", "", HCM),
    ("phuong xuan hoa, tp ho chi minh", "", "Phường Xuân Hòa", "", HCM),
    ("Phường Thủ Đức, TP.HCM", "", "Phường Thủ Đức", "", HCM),
    ("Phường Hiệp Bình, Hồ Chí Minh", "", "Phường Hiệp Bình", "", HCM),
    ("P. Linh Xuân, HCM", "", "Phường Linh Xuân", "", HCM),
    ("Phường An Khánh, TPHCM", "", "Phường An Khánh", "", HCM),
    ("Phường Bình Thạnh, TP Hồ Chí Minh", "", "Phường Bình Thạnh", "", HCM),
    ("Phường Gia Định, HCM", "", "Phường Gia Định", "", HCM),
    ("Phường Tân Sơn Nhất, HCM", "", "Phường Tân Sơn Nhất", "", HCM),
    ("Phường Thủ Dầu Một, TP Hồ Chí Minh", "", "Phường Thủ Dầu Một", "", HCM),
    ("Phường Dĩ An, TPHCM", "", "Phường Dĩ An", "", HCM),
    ("Phường Vũng Tàu, TP HCM", "", "Phường Vũng Tàu", "", HCM),
    ("Xã Củ Chi, TP HCM", "", "Xã Củ Chi", "", HCM),
    ("Đặc khu Côn Đảo, TPHCM", "", "Đặc khu Côn Đảo", "", HCM),
    ("Phường Hoàn Kiếm, Hà Nội", "", "Phường Hoàn Kiếm", "", HN),
    ("Phường Cửa Nam, HN", "", "Phường Cửa Nam", "", HN),
    ("phuong ba dinh, ha noi", "", "Phường Ba Đình", "", HN),
    ("Phường Ngọc Hà, Hà Nội", "", "Phường Ngọc Hà", "", HN),
    ("Phường Giảng Võ, Hà Nội", "", "Phường Giảng Võ", "", HN),
    ("Phường Hai Bà Trưng, Hà Nội", "", "Phường Hai Bà Trưng", "", HN),
    ("P. Vĩnh Tuy, HN", "", "Phường Vĩnh Tuy", "", HN),
    ("Phường Bạch Mai, Hà Nội", "", "Phường Bạch Mai", "", HN),
    ("Phường Cầu Giấy, Hà Nội", "", "Phường Cầu Giấy", "", HN),
    ("Phường Đống Đa, TP Hà Nội", "", "Phường Đống Đa", "", HN),
    ("Phường Tây Hồ, Hà Nội", "", "Phường Tây Hồ", "", HN),
    ("Phường Long Biên, Hà Nội", "", "Phường Long Biên", "", HN),
    ("Xã Bát Tràng, Hà Nội", "", "Xã Bát Tràng", "", HN),
    ("so 5 ngo 10, phuong lang, ha noi", "so 5 ngo 10", "Phường Láng", "", HN),
    ("Phường Hải Châu, Đà Nẵng", "", "Phường Hải Châu", "", DN),
    ("Phường Hòa Cường, TP Đà Nẵng", "", "Phường Hòa Cường", "", DN),
    ("Phường Sơn Trà, Đà Nẵng", "", "Phường Sơn Trà", "", DN),
    ("Phường Nha Trang, Khánh Hòa", "", "Phường Nha Trang", "", "Tỉnh Khánh Hòa"),
    ("Phường Ninh Kiều, Cần Thơ", "", "Phường Ninh Kiều", "", CT),
    ("Phường Hạ Long, Quảng Ninh", "", "Phường Hạ Long", "", "Tỉnh Quảng Ninh"),
    ("Phường Thuận Hóa, TP Huế", "", "Phường Thuận Hóa", "", "Thành phố Huế"),
    ("Phường Biên Hòa, Đồng Nai", "", "Phường Biên Hòa", "", "Tỉnh Đồng Nai"),
    (
        "Tòa nhà Bitexco, 2 Hải Triều, Phường Sài Gòn, Thành phố Hồ Chí Minh, Việt Nam",
        "Tòa nhà Bitexco, 2 Hải Triều",
        "Phường Sài Gòn",
        "",
        HCM,
    ),
    ("Phường Sài Gòn, Việt Nam", "", "Phường Sài Gòn", "", HCM),
    ("12 Nguyễn Huệ, Sài Gòn, HCM", "12 Nguyễn Huệ", "Phường Sài Gòn", "", HCM),
    ("99 Xuân Thủy, P. Cầu Giấy, Hà Nội", "99 Xuân Thủy", "Phường Cầu Giấy", "", HN),
    ("ward ben thanh, hcmc", "", "Phường Bến Thành", "", HCM),
    # --- harder spellings: capitals, dashes, NFD input, postcodes, buildings and hamlets ------------------
    ("12 NGUYỄN HUỆ, P.BẾN NGHÉ, Q.1, TP.HCM", "12 NGUYỄN HUỆ", "Phường Bến Nghé", "Quận 1", HCM),
    ("12 Nguyễn Huệ - P.Bến Nghé - Q.1 - TP.HCM", "12 Nguyễn Huệ", "Phường Bến Nghé", "Quận 1", HCM),
    (
        unicodedata.normalize("NFD", "12 Nguyễn Huệ, Phường Sài Gòn, TP Hồ Chí Minh"),
        "12 Nguyễn Huệ",
        "Phường Sài Gòn",
        "",
        HCM,
    ),
    ("12 Nguyễn Huệ, P. Bến Nghé, Q.1, TP.HCM 700000", "12 Nguyễn Huệ", "Phường Bến Nghé", "Quận 1", HCM),
    ("Hẻm 51 Cao Thắng, phường 3 quận 3 tp hồ chí minh", "Hẻm 51 Cao Thắng", "Phường 3", "Quận 3", HCM),
    ("KĐT Linh Đàm, Hoàng Liệt, Hoàng Mai, Hà Nội", "KĐT Linh Đàm", "Phường Hoàng Liệt", "Quận Hoàng Mai", HN),
    (
        "Vinhomes Central Park, 208 Nguyễn Hữu Cảnh, P.22, Q.Bình Thạnh",
        "Vinhomes Central Park, 208 Nguyễn Hữu Cảnh",
        "Phường 22",
        "Quận Bình Thạnh",
        HCM,
    ),
    ("Thôn 2, Xã Ea Kao, TP Buôn Ma Thuột, Đắk Lắk", "Thôn 2", "Xã Ea Kao", "Thành phố Buôn Ma Thuột", "Tỉnh Đắk Lắk"),
    ("Phường Bình Trưng, TP HCM", "", "Phường Bình Trưng", "", HCM),
    ("Phường An Lạc, Bình Tân, HCM", "", "Phường An Lạc", "Quận Bình Tân", HCM),
    ("tt. Long Thành, h. Long Thành, Đồng Nai", "", "Thị trấn Long Thành", "Huyện Long Thành", "Tỉnh Đồng Nai"),
    ("P.Bình Thọ TP.Thủ Đức HCM", "", "Phường Bình Thọ", "Thành phố Thủ Đức", HCM),
    ("phường 12 quận gò vấp", "", "Phường 12", "Quận Gò Vấp", HCM),
    ("36 Hàng Bạc, Hoàn Kiếm, Hà Nội", "36 Hàng Bạc", "Phường Hoàn Kiếm", "", HN),
    (
        "Số 3 ngách 12/5 Trần Duy Hưng, Trung Hoà, Cầu Giấy, HN",
        "Số 3 ngách 12/5 Trần Duy Hưng",
        "Phường Trung Hòa",
        "Quận Cầu Giấy",
        HN,
    ),
    (
        "Khu phố 4, phường Linh Trung, thành phố Thủ Đức, thành phố Hồ Chí Minh",
        "Khu phố 4",
        "Phường Linh Trung",
        "Thành phố Thủ Đức",
        HCM,
    ),
    ("Ấp Bình Hạ, xã Thái Mỹ, huyện Củ Chi, TPHCM", "Ấp Bình Hạ", "Xã Thái Mỹ", "Huyện Củ Chi", HCM),
    (
        "số 8 đường số 3, khu phố 1, phường an khánh, tp thủ đức, tp hcm",
        "số 8 đường số 3, khu phố 1",
        "Phường An Khánh",
        "Thành phố Thủ Đức",
        HCM,
    ),
    ("Tầng 5, 17 Láng Hạ, Thành Công, Ba Đình, Hà Nội", "Tầng 5, 17 Láng Hạ", "Phường Thành Công", "Quận Ba Đình", HN),
    ("P. Hoà Khánh Bắc, Q. Liên Chiểu, TP Đà Nẵng", "", "Phường Hòa Khánh Bắc", "Quận Liên Chiểu", DN),
    ("23 Phan Chu Trinh, Phường Hội An, Đà Nẵng", "23 Phan Chu Trinh", "Phường Hội An", "", DN),
    ("Phường Phú Mỹ, TP.HCM", "", "Phường Phú Mỹ", "", HCM),
    # --- written after the parser, as users type them, without tuning the parser to them ----------------
    (
        "Nhà 5 ngõ 2 phố Tây Sơn, Quang Trung, Đống Đa, Hà Nội",
        "Nhà 5 ngõ 2 phố Tây Sơn",
        "Phường Quang Trung",
        "Quận Đống Đa",
        HN,
    ),
    ("43 Tú Xương P.Võ Thị Sáu Q.3", "43 Tú Xương", "Phường Võ Thị Sáu", "Quận 3", HCM),
    (
        "Căn hộ 12.05, The Sun Avenue, 28 Mai Chí Thọ, An Phú, Thủ Đức, HCM",
        "Căn hộ 12.05, The Sun Avenue, 28 Mai Chí Thọ",
        "Phường An Phú",
        "Thành phố Thủ Đức",
        HCM,
    ),
    ("Xã Phước Kiển, Nhà Bè, TP. HCM", "", "Xã Phước Kiển", "Huyện Nhà Bè", HCM),
    ("Số 2 Trường Sa, P17, Bình Thạnh", "Số 2 Trường Sa", "Phường 17", "Quận Bình Thạnh", HCM),
    ("Kiot 5 chợ Bến Thành, Lê Lợi, Bến Thành, Q1", "Kiot 5 chợ Bến Thành, Lê Lợi", "Phường Bến Thành", "Quận 1", HCM),
    ("Phường Tân Phú, TP Thủ Đức", "", "Phường Tân Phú", "Thành phố Thủ Đức", HCM),
    ("p.tân định q1 tphcm", "", "Phường Tân Định", "Quận 1", HCM),
    ("F.12, Q.Tân Bình", "", "Phường 12", "Quận Tân Bình", HCM),
    ("Hòa Khánh Nam, Liên Chiểu, Đà Nẵng", "", "Phường Hòa Khánh Nam", "Quận Liên Chiểu", DN),
    ("Phường Hòa Khánh, Đà Nẵng", "", "Phường Hòa Khánh", "", DN),
    ("Phường An Hải, TP Đà Nẵng", "", "Phường An Hải", "", DN),
    ("Xã Nhà Bè, TPHCM", "", "Xã Nhà Bè", "", HCM),
    ("Phường Long Biên, Q. Long Biên, HN", "", "Phường Long Biên", "Quận Long Biên", HN),
    (
        "số 10 đường Trần Phú, phường Lộc Thọ, Nha Trang",
        "số 10 đường Trần Phú",
        "Phường Lộc Thọ",
        "Thành phố Nha Trang",
        "Tỉnh Khánh Hòa",
    ),
    # --- province or district only: the rest is the street ------------------------------------------
    ("tp hcm", "", "", "", HCM),
    ("HCM", "", "", "", HCM),
    ("ha noi", "", "", "", HN),
    ("12 Nguyễn Huệ, Sài Gòn", "12 Nguyễn Huệ", "", "", HCM),
    ("Q.1, TP.HCM", "", "", "Quận 1", HCM),
    ("quan 1 hcm", "", "", "Quận 1", HCM),
    ("Nguyễn Văn Linh, Q7, HCM", "Nguyễn Văn Linh", "", "Quận 7", HCM),
    ("Lô A3 KCN Tân Bình, Q. Tân Phú, TP HCM", "Lô A3 KCN Tân Bình", "", "Quận Tân Phú", HCM),
]


def _is_right(case: tuple[str, str, str, str, str], provider: OfflineProvider) -> tuple[bool, str]:
    query, street, ward, district, province = case
    got = provider.suggest(query, limit=1)
    if not got:
        return False, f"{query!r}: no suggestion"
    s = got[0]
    expected = (street, ward, district, province, COUNTRY)
    actual = (s.street, s.ward, s.district, s.province, s.country)
    return actual == expected, f"{query!r}: expected {expected}, got {actual}"


def test_offline_accuracy_at_least_95_percent() -> None:
    provider = OfflineProvider()
    assert len(CASES) >= 100
    results = [_is_right(case, provider) for case in CASES]
    right = sum(ok for ok, _ in results)
    score = right / len(CASES)
    print(f"\noffline address accuracy: {right}/{len(CASES)} = {score:.1%}")
    for ok, detail in results:
        if not ok:
            print("  MISS", detail)
    assert score >= 0.95


@pytest.mark.parametrize(
    ("query", "ward", "province"),
    [
        ("12 Nguyễn Huệ, P. Bến Ng", "Phường Bến Nghé", HCM),  # the last word is still being typed
        ("12 Nguyễn Huệ, Phường Sài G", "Phường Sài Gòn", HCM),
        ("36 Hàng Bạc, Hoàn Kiếm, Hà N", "Phường Hoàn Kiếm", HN),
    ],
)
def test_suggests_while_the_last_word_is_typed(query: str, ward: str, province: str) -> None:
    labels = [(s.ward, s.province) for s in OfflineProvider().suggest(query)]
    assert (ward, province) in labels


def test_label_and_fields_for_the_form() -> None:
    s = OfflineProvider().suggest("12 Nguyễn Huệ, P. Bến Nghé, Q.1, TP.HCM")[0]
    assert s.label == "12 Nguyễn Huệ, Phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh"
    assert s.provider == "offline"
    assert OfflineProvider().resolve(s, session_token=None) == s


def test_nothing_matches_gives_no_suggestion_so_the_typed_text_is_kept() -> None:
    assert OfflineProvider().suggest("xyzzy 123") == []
    assert OfflineProvider().suggest("") == []


def test_suggestions_are_distinct_and_limited() -> None:
    got = OfflineProvider().suggest("Phường 1", limit=4)
    assert 1 < len(got) <= 4
    assert len({(s.ward, s.district, s.province) for s in got}) == len(got)


def test_index_is_built_once_across_threads() -> None:
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(shared_index())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(i) for i in seen}) == 1


def test_accents_typed_tell_apart_names_with_the_same_letters() -> None:
    provider = OfflineProvider()
    assert provider.suggest("12 Nguyễn Huệ") == []  # a street: "Huệ" is not the city of Huế
    assert provider.suggest("12 Nguyễn Huệ, Huế")[0].province == "Thành phố Huế"
    assert provider.suggest("Phường Hoà Cường, Đà Nẵng")[0].ward == "Phường Hòa Cường"  # either tone placement
