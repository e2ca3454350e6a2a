"""orglife: compliance monitor for Party organisational life (组织生活合规监测)."""

__version__ = "0.1.0"
