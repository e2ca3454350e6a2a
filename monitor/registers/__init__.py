"""Reading registers (orgs, members, meeting records) from CSV and XLSX into domain objects.

Validation happens here, with errors that name the file, line, column and value. May import
``monitor.core`` only.
"""
