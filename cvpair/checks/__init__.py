"""`cvpair validate`: prove a release is right. One function per named check, a registry, the report.

Use `cvpair.checks.runner.validate_release(path)`; see docs/validate.md for the checks.
"""
