"""Security plumbing shared by the whole site: JWT keys that rotate, request size limits,
the Content Security Policy's exceptions, abuse throttles and the deploy checks.

The policy itself (which headers, which origins, which rates) is in config/settings.py.
"""
