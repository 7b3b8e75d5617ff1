"""The import template, generated from the live field registry each time it is asked for."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlmodel import Session

from crm_app.fields import UNKNOWN, picklist_values
from crm_app.services.importer.rows import importable_fields

TEMPLATE_ROWS = 2000
TEXT = "@"
INSTRUCTIONS = (
    "HƯỚNG DẪN NHẬP FILE KHÁCH HÀNG THÔ",
    "",
    "• Dòng đầu tiên của trang «Dữ liệu» là tiêu đề cột; không xoá, không để trống, không đổi tên.",
    "• Cột có tiêu đề màu đỏ là thông tin bắt buộc: để trống thì dòng đó không được import.",
    "  Cột màu đen có thể bỏ trống.",
    "• Cột có danh sách chọn (ví dụ Danh xưng, Nguồn, Loại khách hàng): chọn một giá trị trong danh sách.",
    f"  Giá trị khác danh sách sẽ được import thành «{UNKNOWN}» (hoặc dòng bị từ chối nếu bạn chọn như vậy).",
    "• Ngày tháng (ví dụ Ngày sinh) nhập theo dạng dd-mm-yyyy hoặc dd/mm/yyyy, ví dụ 10-02-1991.",
    "  Chỉ nhập ngày hoặc chỉ nhập năm thì trường đó không được import (dòng vẫn được import).",
    "• «Giao cho» là tên truy cập của nhân viên (ví dụ thuhuong); để trống thì giao cho người import.",
    "  Tên truy cập không tồn tại thì dòng đó không được import.",
    "• Số điện thoại nhập như bình thường (0912345678, +84912345678, 0912.345.678 đều được).",
    "• Mọi ô đều định dạng Văn bản (Text) để Excel không làm mất số 0 ở đầu số điện thoại.",
)


def build_template(session: Session) -> bytes:
    """.xlsx bytes: importable fields as headers (required in red), dropdowns, Text cells."""
    fields = importable_fields(session)
    wb = Workbook()
    ws = wb.active
    ws.title = "Dữ liệu"
    lists = wb.create_sheet("Danh sách")
    lists.sheet_state = "hidden"  # dropdown sources; Excel caps inline lists at 255 characters
    list_col = 0
    for col, fd in enumerate(fields, start=1):
        letter = get_column_letter(col)
        cell = ws.cell(row=1, column=col, value=fd.label_vi)
        cell.font = Font(bold=True, color="FFFF0000" if fd.required else "FF000000")
        cell.number_format = TEXT
        if fd.type == "date":
            cell.comment = Comment("dd-mm-yyyy hoặc dd/mm/yyyy, ví dụ 10-02-1991", "CRM")
        ws.column_dimensions[letter].width = max(14, len(fd.label_vi) + 4)
        ws.column_dimensions[letter].number_format = TEXT
        for row in range(2, TEMPLATE_ROWS + 2):
            ws.cell(row=row, column=col).number_format = TEXT
        if fd.type == "picklist":
            list_col += 1
            values = picklist_values(session, fd.key)
            src = get_column_letter(list_col)
            for i, value in enumerate(values, start=1):
                lists.cell(row=i, column=list_col, value=value).number_format = TEXT
            dv = DataValidation(type="list", formula1=f"'Danh sách'!${src}$1:${src}${len(values)}",
                                allow_blank=True, showErrorMessage=False)
            dv.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
            ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    guide = wb.create_sheet("Hướng dẫn")
    for i, line in enumerate(INSTRUCTIONS, start=1):
        guide.cell(row=i, column=1, value=line).font = Font(bold=(i == 1))
    guide.column_dimensions["A"].width = 110
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
