"""``GET /api/v1/findings``: the judgements of ``orglife check --format json``, in scope."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from monitor.accounts.model import Role
from monitor.check import run_check
from monitor.core.explain import Explainer
from monitor.http.api.models import FindingOut
from monitor.http.auth import Reader
from monitor.http.deps import StateDep
from monitor.http.problems import ApiError, FieldError, Problem

router = APIRouter(prefix="/findings", tags=["检查结果"], responses={404: {"model": Problem}})


@router.get("", response_model=list[FindingOut])
async def list_findings(
    as_of: Annotated[dt.date, Query(description="Judge as at the end of this day.")],
    who: Reader,
    app: StateDep,
    since: Annotated[
        dt.date | None, Query(description="Periods starting on or after this day.")
    ] = None,
    org: Annotated[
        str | None, Query(description="This org and its subtree (default: the whole scope).")
    ] = None,
) -> Response:
    """Every finding of the periods starting between ``since`` and ``as_of``."""
    if since is not None and since > as_of:
        raise ApiError(
            422,
            f"since {since.isoformat()} 晚于 as_of {as_of.isoformat()}",
            errors=[FieldError(field="since", message="不能晚于 as_of")],
        )
    root = org if org is not None else (None if who.scope.everything else who.user.org)
    if root is not None:
        who.check(root)
    elif who.user.role is not Role.ADMIN:
        return Response(b"[]", media_type="application/json")

    def judge() -> list[dict[str, Any]]:
        result = run_check(
            app.store, app.pack, as_of=as_of, since=since, org=root, with_records=True
        )
        # One Explainer for the request: each (rule, period) and each distinct reason once.
        explain = Explainer(app.pack, result.registers.orgs, as_of)
        return [explain.json(f) for f in result.findings if f.org in who.scope]

    rows = await asyncio.to_thread(judge)
    # A province's findings are hundreds of thousands of rows: serialised once, without
    # validating each against FindingOut again (Explainer.json builds exactly that shape; the
    # schema test holds it to the document).
    body = await asyncio.to_thread(
        lambda: json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()
    )
    return Response(body, media_type="application/json")
