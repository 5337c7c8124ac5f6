"""The approval page a browser sees at /oauth/authorize: pick an athlete, tick the scopes."""

from __future__ import annotations

from html import escape

from .models import Athlete

SCOPE_TEXT = {
    "read": "View data about your public profile",
    "read_all": "View data about your private routes, segments and events",
    "profile:read_all": "View your complete profile",
    "profile:write": "Update your weight, FTP and starred segments",
    "activity:read": "View data about your activities",
    "activity:read_all": "View data about your private activities",
    "activity:write": "Upload activities and edit them",
}


def render(
    application: str,
    client_id: str,
    redirect_uri: str,
    state: str,
    scopes: list[str],
    athletes: list[Athlete],
) -> str:
    rows = "\n".join(
        f'<li><label><input type="radio" name="athlete_id" value="{a.id}"'
        f"{' checked' if i == 0 else ''}> {escape(a.firstname)} {escape(a.lastname)}"
        f" ({escape(a.kind)}, {escape(a.city)})</label></li>"
        for i, a in enumerate(athletes)
    )
    boxes = "\n".join(
        f'<li><label><input type="checkbox" name="grant" value="{escape(s)}" checked'
        f"{' disabled' if s == 'read' else ''}> {escape(SCOPE_TEXT.get(s, s))}"
        f" <code>{escape(s)}</code></label></li>"
        for s in scopes
    )
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{escape(value)}">'
        for name, value in (
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("state", state),
            ("scope", ",".join(scopes)),
        )
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Authorize {escape(application)} — Strava simulator</title>
<style>body{{font-family:sans-serif;max-width:40em;margin:2em auto}}li{{list-style:none}}</style>
</head><body>
<h1>Authorize {escape(application)} to connect to Strava</h1>
<p>This is the fitcoach Strava simulator, not Strava (application {escape(client_id)}).
Sign in as any of the simulated athletes below.</p>
<form method="post" action="/oauth/authorize">{hidden}
<h2>Sign in as</h2><ul>{rows}</ul>
<h2>The application asks to</h2><ul>{boxes}</ul>
<button type="submit" name="decision" value="approve">Authorize</button>
<button type="submit" name="decision" value="deny">Cancel</button>
</form></body></html>"""
