"""`cvpair validate`: prove a release is right. One function per named check, a registry, the report.

Use `cvpair.checks.runner.validate_release(path)`; the README's `cvpair validate` section lists the checks.
Facts are gathered once (`facts.py`), every check is a pure function of them (`layout`, `profile`,
`integrity`, `protocol`, `metadata`, `card`), `runner.py` makes the report.
"""
