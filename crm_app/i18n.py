"""The catalogue of user-facing text: Vietnamese by default, English as the second locale.

Field labels live in the field registry (crm_app.fields); everything else is here.
"""

from __future__ import annotations

DEFAULT_LOCALE = "vi"
LOCALES = ("vi", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "vi": {
        "app.name": "CRM Khách hàng Thô",
        "nav.raw_leads": "KH thô",
        "nav.leads": "Lead",
        "nav.tickets": "Ticket",
        "nav.settings": "Cấu hình hệ thống",
        "nav.logout": "Đăng xuất",
        "nav.language": "English",
        "login.title": "Đăng nhập",
        "login.subtitle": "Quản lý khách hàng thô cho đội kinh doanh",
        "login.username": "Tên truy cập",
        "login.password": "Mật khẩu",
        "login.submit": "Đăng nhập",
        "login.error.invalid": "Tên truy cập hoặc mật khẩu không đúng.",
        "login.error.empty": "Vui lòng nhập tên truy cập và mật khẩu.",
        "login.error.inactive": "Tài khoản đã bị khoá. Liên hệ quản trị viên.",
        "auth.denied": "Bạn không có quyền thực hiện thao tác này.",
        "auth.admin_only": "Chỉ quản trị viên mới được mở trang này.",
        "auth.session_expired": "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại.",
        "page.raw_leads.title": "Khách hàng Thô",
        "page.leads.title": "Lead",
        "page.tickets.title": "Ticket",
        "page.settings.title": "Cấu hình hệ thống",
        "page.settings.users": "Người dùng",
        "page.settings.org": "Quyền xem dữ liệu",
        "settings.visibility.all": "Mọi người thấy tất cả KH thô",
        "settings.visibility.own": "Người dùng chỉ thấy KH thô được giao cho mình",
        "settings.saved": "Đã lưu cấu hình.",
        "common.save": "Lưu",
        "common.cancel": "Huỷ",
        "common.empty": "Chưa có dữ liệu.",
        "common.role.admin": "Quản trị",
        "common.role.user": "Người dùng",
        "common.active": "Đang hoạt động",
        "common.inactive": "Đã khoá",
        "error.database": "Không kết nối được cơ sở dữ liệu. Vui lòng thử lại sau.",
        "user.exists": "Tên truy cập «{username}» đã tồn tại.",
        "user.invalid_username": "Tên truy cập chỉ gồm chữ thường không dấu, số, dấu chấm, "
                                 "gạch dưới hoặc gạch ngang (2–64 ký tự).",
        "user.password_short": "Mật khẩu cần ít nhất 8 ký tự.",
        "user.full_name_required": "Vui lòng nhập họ tên.",
        "users.full_name": "Họ tên",
        "users.role": "Vai trò",
        "users.status": "Trạng thái",
        "users.add": "Thêm người dùng",
    },
    "en": {
        "app.name": "Raw-lead CRM",
        "nav.raw_leads": "Raw leads",
        "nav.leads": "Leads",
        "nav.tickets": "Tickets",
        "nav.settings": "Settings",
        "nav.logout": "Log out",
        "nav.language": "Tiếng Việt",
        "login.title": "Log in",
        "login.subtitle": "Raw-lead management for sales teams",
        "login.username": "Username",
        "login.password": "Password",
        "login.submit": "Log in",
        "login.error.invalid": "Wrong username or password.",
        "login.error.empty": "Please enter your username and password.",
        "login.error.inactive": "This account is disabled. Contact an administrator.",
        "auth.denied": "You are not allowed to do this.",
        "auth.admin_only": "Only administrators can open this page.",
        "auth.session_expired": "Your session has expired, please log in again.",
        "page.raw_leads.title": "Raw leads",
        "page.leads.title": "Leads",
        "page.tickets.title": "Tickets",
        "page.settings.title": "Settings",
        "page.settings.users": "Users",
        "page.settings.org": "Data visibility",
        "settings.visibility.all": "Everyone sees all raw leads",
        "settings.visibility.own": "Users see only raw leads assigned to them",
        "settings.saved": "Settings saved.",
        "common.save": "Save",
        "common.cancel": "Cancel",
        "common.empty": "Nothing here yet.",
        "common.role.admin": "Admin",
        "common.role.user": "User",
        "common.active": "Active",
        "common.inactive": "Disabled",
        "error.database": "The database cannot be reached. Please try again later.",
        "user.exists": "The username «{username}» already exists.",
        "user.invalid_username": "A username holds lower-case letters without accents, digits, "
                                 "dots, underscores or hyphens (2–64 characters).",
        "user.password_short": "A password needs at least 8 characters.",
        "user.full_name_required": "Please enter the full name.",
        "users.full_name": "Full name",
        "users.role": "Role",
        "users.status": "Status",
        "users.add": "Add user",
    },
}


def t(key: str, locale: str = DEFAULT_LOCALE, **params: object) -> str:
    """Translate `key`; fall back to Vietnamese, then to the key itself."""
    text = MESSAGES.get(locale, {}).get(key) or MESSAGES[DEFAULT_LOCALE].get(key) or key
    return text.format(**params) if params else text


class UserError(Exception):
    """An error whose message is shown to the user, carried as a catalogue key."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(t(key, **params))
        self.key = key
        self.params = params

    def message(self, locale: str = DEFAULT_LOCALE) -> str:
        return t(self.key, locale, **self.params)
