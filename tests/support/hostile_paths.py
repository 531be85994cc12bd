"""Paths an attacker dresses up to look public."""

# Paths that reach a public location of the door (login, static files, healthz, api) as nginx matches them, and
# something behind the login once decoded the way Jupyter would: each must be refused (tests/container/test_trust.py,
# benchmarks/attacks.py).
ENCODED_PATHS = [
    "api/contents/..%2f..%2fstatic/x",
    "static/style/..%2f..%2fapi/contents",
    "static/style/%2e%2e/%2e%2e/api/contents",
    "static/style/..;/..;/api/contents",
    "static/logo/..%2F..%2Fapi%2Fcontents",
    "login/..%2fapi/contents",
    "static//style/../../api/contents",
    "healthz/..%2fapi/contents",
    "api/..%2fapi/contents",
    "static/favicons/..%5c..%5capi/contents",
]
