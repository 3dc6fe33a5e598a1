"""The shared kernel below every app: the error shape, email sending, pagination,
rendering, cache generations and the Redis cache, CSV, API permissions asking policies,
logging, security plumbing (throttles, JWT, middleware) and admin pieces.

It imports no app of the project (import-linter holds this in CI: see pyproject.toml),
so every app may use it. Apps plug what the kernel offers into their own rooms through
its registries (core.admin).
"""
