"""Raw leads (KH thô), one job per module; this package re-exports the names callers use.

- validation: form values into column values (ValidationFailed, CONTACT_KEYS, validate, with_derived_keys)
- access: who may see and edit a record (visible_clause, owner_rule, can_see, get_visible)
- records: create, update, delete, bulk actions, the duplicates warning, mark_converted
- filters: the filter language and dashboard links (FILTER_OPS, SORT_COLUMNS, META_COLUMNS, link_conditions)
- search: the quick search clause
- query: the list query and one sorted page (ListQuery, filtered, time_bounds, list_page), raw leads or leads
- keyset: keyset pages for the REST API
- display: values as shown (display_value, full_name, user_names, display_values, form_values)
- export: the list as .xlsx
"""

from crm_app.services.raw_leads.access import can_see, get_visible, owner_rule, visible_clause
from crm_app.services.raw_leads.display import (
    NAME_KEY,
    display_value,
    display_values,
    form_values,
    full_name,
    user_names,
)
from crm_app.services.raw_leads.export import export_xlsx
from crm_app.services.raw_leads.filters import (
    FILTER_OPS,
    META_COLUMNS,
    SORT_COLUMNS,
    import_job_id,
    link_conditions,
)
from crm_app.services.raw_leads.keyset import KeysetPage, keyset_page
from crm_app.services.raw_leads.query import (
    CARE_SORTS,
    COUNT_CAP,
    PAGE_SIZES,
    ListPage,
    ListQuery,
    TimeWindow,
    care_order,
    filtered,
    list_page,
    time_bounds,
)
from crm_app.services.raw_leads.records import (
    apply_values,
    bulk_assign,
    bulk_status,
    create,
    delete_records,
    find_duplicates,
    mark_converted,
    plain,
    update_record,
)
from crm_app.services.raw_leads.search import search_clause
from crm_app.services.raw_leads.validation import (
    CONTACT_KEYS,
    EDITABLE_KEYS,
    ValidationFailed,
    validate,
    with_derived_keys,
)

__all__ = [
    "CARE_SORTS", "CONTACT_KEYS", "COUNT_CAP", "EDITABLE_KEYS", "FILTER_OPS", "META_COLUMNS", "NAME_KEY",
    "PAGE_SIZES", "SORT_COLUMNS", "KeysetPage", "ListPage", "ListQuery", "TimeWindow", "ValidationFailed",
    "apply_values", "bulk_assign", "bulk_status", "can_see", "care_order", "create", "delete_records",
    "display_value", "display_values", "export_xlsx", "filtered", "find_duplicates", "form_values", "full_name",
    "get_visible", "import_job_id", "keyset_page", "link_conditions", "list_page", "mark_converted",
    "owner_rule", "plain", "search_clause", "time_bounds", "update_record", "user_names", "validate",
    "visible_clause", "with_derived_keys",
]
