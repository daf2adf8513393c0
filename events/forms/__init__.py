"""Forms: one module per form, each with `parse(data) -> (values, errors)`.

`data` is the posted fields (`events.web.form_data`); `errors` maps a field name to the
message shown beside it, empty when the form is valid. Shared field readers and their wording
live in `fields`. Forms read no database and import no service: what needs the database (a
taken slug, a member's standing) is the service's to check.
"""
