"""The athlete's pages: one router gathering the dashboard, activity, settings and coach."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles

from fitcoach.web import activity_page, coach_page, dashboard, settings_page

router = APIRouter()
router.include_router(dashboard.router)
router.include_router(activity_page.router)
router.include_router(settings_page.router)
router.include_router(coach_page.router)


def static_files() -> StaticFiles:
    """The stylesheet, scripts and vendored libraries (htmx, uPlot): nothing from a CDN."""
    return StaticFiles(directory=Path(__file__).parent / "static")
