"""Strava's JSON shapes for the simulator's records (SummaryActivity, DetailedActivity, ...)."""

from __future__ import annotations

import hashlib
import itertools
import time
from typing import Any

from .geo import polyline, summary_map
from .laps import laps, splits
from .models import Activity, Athlete
from .places import place_by_tz, timezone_label
from .summaries import elev_high

# Keys of a DetailedActivity that a SummaryActivity never carries.
DETAIL_ONLY = (
    "description",
    "calories",
    "segment_efforts",
    "splits_metric",
    "splits_standard",
    "laps",
    "best_efforts",
    "gear",
    "photos",
    "embed_token",
    "highlighted_kudosers",
    "hide_from_home",
    "available_zones",
    "similar_activities",
    "stats_visibility",
    "perceived_exertion",
    "prefer_perceived_exertion",
    "private_note",
)


def iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def athlete_summary(athlete: Athlete) -> dict[str, Any]:
    return {
        "id": athlete.id,
        "username": f"athlete{athlete.id}",
        "resource_state": 2,
        "firstname": athlete.firstname,
        "lastname": athlete.lastname,
        "city": athlete.city,
        "state": athlete.state,
        "country": athlete.country,
        "sex": athlete.sex,
        "premium": athlete.premium,
        "summit": athlete.premium,
        "created_at": iso(athlete.created_at),
        "updated_at": iso(athlete.anchor),
        "badge_type_id": 1 if athlete.premium else 0,
        "weight": athlete.weight,
        "profile_medium": "avatar/athlete/medium.png",
        "profile": "avatar/athlete/large.png",
        "friend": None,
        "follower": None,
    }


def athlete_detail(athlete: Athlete) -> dict[str, Any]:
    def gear(items: list[list[str]]) -> list[dict[str, Any]]:
        return [
            {"id": gid, "primary": i == 0, "name": name, "resource_state": 2, "distance": 0.0}
            for i, (gid, name) in enumerate(items)
        ]

    return {
        **athlete_summary(athlete),
        "resource_state": 3,
        "follower_count": athlete.id % 97,
        "friend_count": athlete.id % 89,
        "mutual_friend_count": 0,
        "athlete_type": 0 if athlete.kind == "cyclist" else 1,
        "date_preference": "%m/%d/%Y",
        "measurement_preference": athlete.measurement_preference,
        "clubs": [],
        "ftp": athlete.ftp if athlete.kind != "runner" else None,
        "bikes": gear(athlete.bikes),
        "shoes": gear(athlete.shoes),
    }


def zones(athlete: Athlete) -> dict[str, Any]:
    """Heart-rate zones from the athlete's maximum, power zones from FTP (Coggan's seven)."""
    hr_edges = [round(athlete.max_hr * f) for f in (0.6, 0.7, 0.8, 0.9)]
    hr = [{"min": 0, "max": hr_edges[0]}]
    hr += [{"min": a, "max": b} for a, b in itertools.pairwise(hr_edges)]
    hr.append({"min": hr_edges[-1], "max": -1})
    p_edges = [round(athlete.ftp * f) for f in (0.55, 0.75, 0.9, 1.05, 1.2, 1.5)]
    power = [{"min": 0, "max": p_edges[0]}]
    power += [{"min": a, "max": b} for a, b in itertools.pairwise(p_edges)]
    power.append({"min": p_edges[-1], "max": -1})
    return {"heart_rate": {"custom_zones": False, "zones": hr}, "power": {"zones": power}}


def _local(act: Activity) -> str:
    # Strava's quirk: local wall-clock time, yet written with a "Z" suffix.
    return iso(act.start + act.utc_offset)


def _counts(act: Activity) -> dict[str, int]:
    h = int(hashlib.blake2b(str(act.seed).encode(), digest_size=4).hexdigest(), 16)
    return {
        "achievement_count": h % 7,
        "kudos_count": h % 31,
        "comment_count": h % 3,
        "athlete_count": 1 + h % 2,
        "photo_count": 0,
        "total_photo_count": 0,
        "pr_count": h % 4,
    }


def activity_summary(act: Activity, athlete: Athlete) -> dict[str, Any]:
    if act.raw is not None:
        doc = {k: v for k, v in act.raw.items() if k not in DETAIL_ONLY}
        return {**doc, **_identity(act), "resource_state": 2}
    place = place_by_tz(athlete.tz)
    start_latlng: list[float] | None = None
    end_latlng: list[float] | None = None
    summary_line: str | None = ""
    if act.gps and act.distance > 0:
        start_latlng, end_latlng, summary_line = summary_map(act, athlete, 60)
    out: dict[str, Any] = {
        "resource_state": 2,
        "athlete": {"id": act.athlete_id, "resource_state": 1},
        "name": act.name,
        "distance": act.distance,
        "moving_time": act.moving_time,
        "elapsed_time": act.elapsed_time,
        "total_elevation_gain": act.total_elevation_gain,
        "type": act.type,
        "sport_type": act.sport_type,
        "workout_type": act.workout_type,
        "id": act.id,
        "external_id": None if act.manual else f"garmin_ping_{act.seed % 10**11}",
        "upload_id": None if act.manual else act.id + 1_300_000_000,
        "upload_id_str": None if act.manual else str(act.id + 1_300_000_000),
        "start_date": iso(act.start),
        "start_date_local": _local(act),
        "timezone": timezone_label(place),
        "utc_offset": float(act.utc_offset),
        "location_city": None,
        "location_state": None,
        "location_country": athlete.country,
        **_counts(act),
        "map": {"id": f"a{act.id}", "summary_polyline": summary_line, "resource_state": 2},
        "trainer": act.trainer,
        "commute": act.commute,
        "manual": act.manual,
        "private": act.private,
        "visibility": "only_me" if act.private else "everyone",
        "flagged": False,
        "start_latlng": start_latlng,
        "end_latlng": end_latlng,
        "average_speed": act.average_speed,
        "max_speed": act.max_speed,
        "has_heartrate": act.has_heartrate,
        "heartrate_opt_out": False,
        "display_hide_heartrate_option": act.has_heartrate,
        "from_accepted_tag": False,
        "has_kudoed": False,
        "suffer_score": act.suffer_score,
    }
    if out["upload_id_str"] is None:
        del out["upload_id_str"]
    if act.gear_id is not None:  # the swagger's model has no null here: omit, don't send null
        out["gear_id"] = act.gear_id
    if act.average_cadence is not None:
        out["average_cadence"] = act.average_cadence
    if act.average_temp is not None:
        out["average_temp"] = act.average_temp
    if act.average_watts is not None:
        out.update(
            average_watts=act.average_watts,
            kilojoules=act.kilojoules,
            device_watts=bool(act.device_watts),
        )
        if act.device_watts:
            out.update(weighted_average_watts=act.weighted_average_watts, max_watts=act.max_watts)
    if act.average_heartrate is not None:
        out.update(average_heartrate=act.average_heartrate, max_heartrate=act.max_heartrate)
    if act.elev_low is not None:
        out.update(elev_high=elev_high(act), elev_low=act.elev_low)
    return out


def _identity(act: Activity) -> dict[str, Any]:
    """Fields the simulator owns even for imported documents (they may have been edited)."""
    return {
        "id": act.id,
        "athlete": {"id": act.athlete_id, "resource_state": 1},
        "name": act.name,
        "type": act.type,
        "sport_type": act.sport_type,
        "private": act.private,
        "visibility": "only_me" if act.private else "everyone",
    }


def activity_detail(
    act: Activity, athlete: Athlete, streams: dict[str, list[Any]]
) -> dict[str, Any]:
    if act.raw is not None:
        return {**act.raw, **_identity(act), "description": act.description, "resource_state": 3}
    out = activity_summary(act, athlete)
    gear = next((g for g in athlete.bikes + athlete.shoes if g[0] == act.gear_id), None)
    out.update(
        resource_state=3,
        description=act.description,
        calories=act.calories,
        segment_efforts=[],
        laps=laps(act, streams, _local(act), iso(act.start)),
        photos={"primary": None, "count": 0},
        device_name=act.device_name,
        embed_token=hashlib.sha1(str(act.seed).encode()).hexdigest(),
        hide_from_home=False,
        available_zones=["heartrate"] if act.has_heartrate else [],
    )
    if act.gps and act.distance > 0:
        out["map"] = {
            "id": f"a{act.id}",
            "polyline": polyline(act, athlete, 400),
            "summary_polyline": out["map"]["summary_polyline"],
            "resource_state": 3,
        }
    if gear is not None:
        out["gear"] = {
            "id": gear[0],
            "primary": gear == (athlete.bikes + athlete.shoes)[0],
            "name": gear[1],
            "resource_state": 2,
            "distance": 0.0,
        }
    if act.type == "Run":
        out["splits_metric"] = splits(streams, 1000.0)
        out["splits_standard"] = splits(streams, 1609.34)
    if act.device_name is None:
        del out["device_name"]
    return out
