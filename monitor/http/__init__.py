"""HTTP: today the calendar feeds and ``/healthz`` (aiohttp); the API and pages will live here."""
