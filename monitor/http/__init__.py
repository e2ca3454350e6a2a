"""HTTP: FastAPI served by uvicorn in `orglife serve`'s loop (one process, one port): the
calendar feeds, signed summary links, ``/healthz``, the OpenAPI document and its docs page; the
API and pages of later issues will live here too.

May import the feature packages and everything below them; not the service or the CLI.
"""
