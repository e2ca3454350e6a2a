"""Reading registers (orgs, members, meeting records) from CSV and XLSX into domain objects.

``columns`` (headers), ``cells`` (one method per kind of cell), ``formats`` (CSV encodings,
XLSX) and ``builders`` (rows to domain objects) are composed by ``readers``, the public entry,
which also reads rows already in memory with the same validation. Errors name the file, line,
column and value, with a :class:`~monitor.core.errors.RegisterErrorCode`. May import
``monitor.holidays``, ``monitor.text`` and ``monitor.core``.
"""
