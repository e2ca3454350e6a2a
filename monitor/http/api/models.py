"""Request and response bodies of the API (pydantic), shared by the resource modules."""

from __future__ import annotations

from pydantic import BaseModel


class OrgOut(BaseModel):
    """An org as `GET /api/v1/orgs/{code}` gives it."""

    code: str
    name: str
    type: str
    parent: str | None
    founded: str | None = None
    party_day: str | None = None


class EvidenceOut(BaseModel):
    counted: int
    seen: int
    records: list[int]
    best_attendance_ratio: float | None


class FindingOut(BaseModel):
    """One finding, as `orglife check --format json` prints it."""

    org: str
    member: str | None
    rule: str
    period: str
    status: str
    rule_name: str
    period_start: str
    period_end: str
    deadline: str
    grace_until: str
    status_zh: str
    evidence: EvidenceOut
    reason: str
