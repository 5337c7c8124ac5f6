"""Request parameters the way Strava takes them: query string, form body or JSON body."""

from __future__ import annotations

import json

from fastapi import Request


async def read_params(request: Request) -> dict[str, str]:
    params = {k: v for k, v in request.query_params.items()}
    content_type = request.headers.get("content-type", "")
    if "application/json" in content_type:
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            body = {}
        if isinstance(body, dict):
            params.update({k: str(v) for k, v in body.items() if v is not None})
    elif "form" in content_type:
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


async def read_multi(request: Request, name: str) -> list[str]:
    """Every value of a repeated form field (the approval page's scope checkboxes)."""
    if "form" not in request.headers.get("content-type", ""):
        return request.query_params.getlist(name)
    form = await request.form()
    return [v for v in form.getlist(name) if isinstance(v, str)]
