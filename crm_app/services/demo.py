"""Demo users and a few hundred realistic Vietnamese raw leads (`crm seed-demo`)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, func, select

from crm_app.models import AuditEntry, RawLead, User, utcnow
from crm_app.services import auth, conversion
from crm_app.services.text import derived_keys, fold

DEMO_USERS: tuple[tuple[str, str, str, str], ...] = (
    ("admin", "Quản trị hệ thống", "admin", "admin1234"),
    ("thuhuong", "Nguyễn Thu Hường", "user", "demo1234"),
    ("hieu.nguyen", "Nguyễn Minh Hiếu", "user", "demo1234"),
    ("dung.vu", "Vũ Tiến Dũng", "user", "demo1234"),
    ("phu.vo", "Võ Hoàng Phú", "user", "demo1234"),
)

LAST_NAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
              "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý")
MIDDLE_NAMES = ("Văn", "Thị", "Minh", "Thu", "Hoàng", "Ngọc", "Đức", "Thanh", "Quốc", "Hải",
                "Kim", "Gia", "Bảo", "Xuân")
FIRST_NAMES = ("An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa",
               "Hùng", "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Minh", "Nam", "Nga",
               "Ngọc", "Phong", "Phúc", "Phương", "Quân", "Quỳnh", "Sơn", "Tâm", "Thảo",
               "Thắng", "Trang", "Trung", "Tuấn", "Vy", "Yến")
COMPANIES = ("Công ty TNHH Minh Phát", "Công ty CP Đầu tư Sao Việt", "Cửa hàng Hoa Mai",
             "Công ty TNHH Thương mại An Khang", "Tập đoàn Hưng Thịnh", "Spa Ngọc Lan",
             "Nhà thuốc Tâm Đức", "Công ty CP Công nghệ VinaSoft", "Khách sạn Biển Xanh", "")
TITLES = ("Giám đốc", "Trưởng phòng kinh doanh", "Kế toán trưởng", "Nhân viên mua hàng",
          "Chủ cửa hàng", "")
PLACES = (
    ("12 Nguyễn Huệ", "Phường Bến Nghé", "Quận 1", "Hồ Chí Minh"),
    ("45 Lê Lợi", "Phường Bến Thành", "Quận 1", "Hồ Chí Minh"),
    ("210 Cách Mạng Tháng Tám", "Phường 10", "Quận 3", "Hồ Chí Minh"),
    ("18 Hàng Bài", "Phường Hàng Bài", "Quận Hoàn Kiếm", "Hà Nội"),
    ("99 Cầu Giấy", "Phường Quan Hoa", "Quận Cầu Giấy", "Hà Nội"),
    ("7 Bạch Đằng", "Phường Hải Châu 1", "Quận Hải Châu", "Đà Nẵng"),
    ("35 Lạch Tray", "Phường Lạch Tray", "Quận Ngô Quyền", "Hải Phòng"),
    ("", "", "", "Cần Thơ"),
)
MOBILE_PREFIXES = ("90", "91", "93", "94", "96", "97", "98", "32", "33", "35", "37", "38",
                   "39", "70", "76", "77", "79", "81", "83", "84", "85", "86", "88", "89")
SOURCES = ("Website", "Facebook", "Zalo", "Hội thảo", "Giới thiệu", "Quảng cáo", "Khác")
INPUTS = ("Thủ công", "Thủ công", "Import", "Import", "Zalo OA", "Hana", "Botbanhang",
          "Facebook Lead Ads", "Webform", "Zalo Ads Form")
STATUSES = ("Mới", "Mới", "Mới", "Đang chăm sóc", "Đang chăm sóc", "Không tiềm năng")


def ensure_demo_users(*, session: Session) -> dict[str, int]:
    ids: dict[str, int] = {}
    for username, full_name, role, password in DEMO_USERS:
        user = session.exec(select(User).where(User.username == username)).first()
        if user is None:
            user = auth.create_user(session=session, username=username, full_name=full_name,
                                    password=password, role=role)
        assert user.id is not None
        ids[username] = user.id
    return ids


def demo_raw_lead_rows(count: int, user_ids: list[int], seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for i in range(count):
        last = rng.choice(LAST_NAMES)
        middle = rng.choice(MIDDLE_NAMES)
        first = rng.choice(FIRST_NAMES)
        mobile = f"+84{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**7):07d}"
        has_mobile = rng.random() < 0.8
        email = (f"{_ascii(first)}.{_ascii(last)}{i}@{rng.choice(('gmail.com', 'yahoo.com', 'outlook.com'))}"
                 if rng.random() < 0.6 else None)
        street, ward, district, province = rng.choice(PLACES)
        input_source = rng.choice(INPUTS)
        created = now - timedelta(days=rng.randrange(60), minutes=rng.randrange(24 * 60))
        zalo = str(rng.randrange(10**17, 10**18)) if input_source == "Zalo OA" else None
        psid = (str(rng.randrange(10**15, 10**16))
                if input_source in ("Hana", "Botbanhang") else None)
        owner = rng.choice(user_ids)
        row: dict[str, Any] = {
            "salutation": rng.choice(("Anh", "Chị", None)),
            "last_name": f"{last} {middle}",
            "first_name": first,
            "mobile": mobile if has_mobile else None,
            "phone": None,
            "email": email,
            "company": rng.choice(COMPANIES) or None,
            "title": rng.choice(TITLES) or None,
            "website": None,
            "lead_source": rng.choice(SOURCES),
            "customer_type": rng.choice(("Cá nhân", "Doanh nghiệp")),
            "birthday": date(1970, 1, 1) + timedelta(days=rng.randrange(12000))
            if rng.random() < 0.3 else None,
            "street": street or None, "ward": ward or None, "district": district or None,
            "province": province, "country": "Việt Nam",
            "description": None,
            "assigned_to_id": owner,
            "status": rng.choice(STATUSES),
            "zalo_user_id": zalo,
            "zalo_name": f"{first} {last}" if zalo else None,
            "facebook_psid": psid,
            "facebook_name": f"{first} {last}" if psid else None,
            "input_source": input_source,
            "custom": {},
            "created_at": created,
            "modified_at": created,
            "created_by_id": owner,
            "modified_by_id": owner,
        }
        row.update(derived_keys(row))
        rows.append(row)
    return rows


def _ascii(text: str) -> str:
    return fold(text).replace(" ", "")


def seed_demo(*, session: Session, raw_leads: int = 300) -> tuple[int, int]:
    """Create the demo users and, if the table is empty, `raw_leads` raw leads."""
    ids = ensure_demo_users(session=session)
    existing = session.exec(select(func.count()).select_from(RawLead)).one()
    if existing:
        return len(ids), 0
    sales = [uid for name, uid in ids.items() if name != "admin"]
    rows = demo_raw_lead_rows(raw_leads, sales)
    session.execute(insert(RawLead), rows)
    created = session.exec(select(RawLead.id, RawLead.created_by_id, RawLead.created_at, RawLead.input_source)).all()
    session.execute(insert(AuditEntry), [
        {"entity": "raw_lead", "entity_id": rid, "action": "created", "source": "demo", "user_id": uid,
         "changes": {"input_source": [None, source]}, "created_at": at}
        for rid, uid, at, source in created])
    _convert_some(session, seed=raw_leads)
    return len(ids), len(rows)


def _convert_some(session: Session, *, seed: int, share: float = 0.15) -> None:
    """Convert part of the reachable demo leads, a few hours to days after they arrived, so the
    dashboard's funnel and conversion times have something to show."""
    rng = random.Random(seed)
    reachable = session.exec(select(RawLead).where(col(RawLead.mobile).is_not(None)).order_by(col(RawLead.id))).all()
    for record in rng.sample(list(reachable), int(len(reachable) * share)):
        lead = conversion.convert_raw_lead(session, record, actor_id=record.created_by_id, source="demo")
        lead.created_at = min(utcnow(), record.created_at + timedelta(hours=rng.randint(1, 96)))
        session.add(lead)
