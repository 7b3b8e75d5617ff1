"""Raw leads (KH thô), one job per module; callers import from the module that owns a name.

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
