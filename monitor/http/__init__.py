"""HTTP: today the calendar feeds and ``/healthz`` (aiohttp); the API and pages will live here.

May import the feature packages and everything below them; not the service or the CLI.
"""
