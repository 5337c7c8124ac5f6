"""The database tables, as SQLAlchemy 2 typed models: the one schema every domain's
repository reads and writes, and the migrations follow.

Everything is keyed by fitcoach's own ids: an athlete is an account of fitcoach, and Strava
is one connection of it (``StravaConnection``), never its identity. An activity has an id
of fitcoach's; the Strava id it came with is ``strava_id`` only once the athlete's own API
listing confirmed it (a file or an archive row only *claims* one, ``claimed_strava_id``).
Activities keep typed columns for what the coach and the pages query, plus the raw
document they came from.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from fitcoach.core.query_metrics import register_tables
from fitcoach.models.types import JSONDocument, UTCDateTime

# Deterministic constraint names, so migrations can drop them on both databases.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Source(StrEnum):
    """Where an activity came from: Strava's API, or the athlete's own data."""

    STRAVA_API = "strava_api"
    FILE = "file"
    ARCHIVE = "archive"


# The athlete's own data: never deleted because Strava says something, never subject to
# the retention of API data, and what the language model may see.
OWN_SOURCES = (Source.FILE, Source.ARCHIVE)


# An id of fitcoach's own: an integer primary key that the database assigns (SQLite's
# rowid, a sequence on PostgreSQL).
OwnId = BigInteger().with_variant(Integer, "sqlite")


def new_session_version() -> int:
    """A new athlete row's first session version: random, so that a login from before the
    athlete was deleted and connected again does not match the new row."""
    return secrets.randbelow(2**62) + 1


class Athlete(Base):
    """An athlete's account: their name, how they sign in, and their coaching settings."""

    __tablename__ = "athletes"

    id: Mapped[int] = mapped_column(OwnId, primary_key=True)
    firstname: Mapped[str] = mapped_column(String(255), default="")
    lastname: Mapped[str] = mapped_column(String(255), default="")
    # Sign-in with an e-mail and a password (argon2 hash); both unset for an account that
    # signs in with a passkey, the operator's identity provider or Strava only.
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Coaching settings; NULL means "estimate it from the athlete's own data".
    sex: Mapped[str | None] = mapped_column(String(1))
    weight_kg: Mapped[float | None] = mapped_column(Float)
    ftp_watts: Mapped[float | None] = mapped_column(Float)
    threshold_hr: Mapped[float | None] = mapped_column(Float)
    threshold_pace_s_per_km: Mapped[float | None] = mapped_column(Float)
    max_hr: Mapped[float | None] = mapped_column(Float)
    resting_hr: Mapped[float | None] = mapped_column(Float)
    goal_event_name: Mapped[str | None] = mapped_column(String(255))
    goal_event_date: Mapped[date | None] = mapped_column(Date)
    goal_event_priority: Mapped[str | None] = mapped_column(String(1))
    # Every login carries the version it began under; changing it (logout, "sign out
    # everywhere") ends them all.
    session_version: Mapped[int] = mapped_column(
        BigInteger, default=new_session_version, server_default="0"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, server_default=func.now(), onupdate=func.now()
    )


class StravaConnection(Base):
    """An account's connection to Strava: which Strava athlete, their Strava profile, and
    whether fitcoach's access still stands. Deleted when the athlete disconnects."""

    __tablename__ = "strava_connections"

    athlete_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("athletes.id", ondelete="CASCADE"), primary_key=True
    )
    strava_athlete_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    firstname: Mapped[str] = mapped_column(String(255), default="")
    lastname: Mapped[str] = mapped_column(String(255), default="")
    profile_url: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(String(255))
    country: Mapped[str | None] = mapped_column(String(255))
    connected: Mapped[bool] = mapped_column(Boolean, default=True)
    disconnected_reason: Mapped[str | None] = mapped_column(Text)
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())


class OAuthToken(Base):
    """An athlete's Strava tokens, encrypted at rest with the MultiFernet key ring."""

    __tablename__ = "oauth_tokens"

    athlete_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("athletes.id", ondelete="CASCADE"), primary_key=True
    )
    access_token: Mapped[bytes] = mapped_column(LargeBinary)
    refresh_token: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    scopes: Mapped[str] = mapped_column(String(255), default="")
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, server_default=func.now(), onupdate=func.now()
    )


class Passkey(Base):
    """A passkey (WebAuthn credential) an athlete signs in with: the authenticator's
    credential id and public key, and its signature counter (a clone shows as a counter
    that goes back)."""

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(OwnId, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("athletes.id", ondelete="CASCADE"), index=True
    )
    credential_id: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    name: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OidcIdentity(Base):
    """An account's identity at the operator's OpenID Connect provider: the provider's
    issuer and its subject (``sub``) for the person, which the provider promises never to
    reassign; an e-mail address can change hands, so it never decides the account."""

    __tablename__ = "oidc_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(OwnId, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("athletes.id", ondelete="CASCADE"), index=True
    )
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Invitation(Base):
    """A sign-up link the operator made while sign-ups are closed: only the SHA-256 of its
    token is kept, so the table does not hold working links. Used once."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(OwnId, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    note: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The account it made (no foreign key: the record outlives a deleted account).
    used_by: Mapped[int | None] = mapped_column(BigInteger)


def _start_day_default(context: Any) -> date:
    # A Core insert that names no day (rows built by hand): the same rule as the ORM's.
    values = context.get_current_parameters()
    start = values.get("start_date_local") or values["start_date"]
    if isinstance(start, datetime):
        return start.astimezone(UTC).date()
    return date.fromisoformat(str(start)[:10])


class Activity(Base):
    """One activity; ``raw`` is the document it came from (Strava's, or one built from
    the athlete's file)."""

    __tablename__ = "activities"
    __table_args__ = (
        # An athlete's own claims of Strava ids, looked up when their API listing arrives.
        Index("ix_activities_athlete_claimed", "athlete_id", "claimed_strava_id"),
        # Serves "this athlete's activities, newest first" without a sort.
        Index("ix_activities_athlete_start", "athlete_id", "start_date"),
        # Serves the load history and the calendar, day by day; with the load in it, the
        # history's daily sums are read from the index alone (migration 0029).
        Index("ix_activities_athlete_day", "athlete_id", "start_day", "load"),
        # Finds the legs of one multisport event.
        Index("ix_activities_multisport_group", "multisport_group"),
    )

    id: Mapped[int] = mapped_column(OwnId, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("athletes.id", ondelete="CASCADE")
    )
    # Strava's id, once this athlete's own API listing (or a fetch with their token) gave it.
    strava_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    # The Strava id the athlete's own data named (an archive's activities.csv); trusted for
    # nothing until their API listing confirms it.
    claimed_strava_id: Mapped[int | None] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(Text, default="")
    sport_type: Mapped[str] = mapped_column(String(64), default="Workout")
    start_date: Mapped[datetime] = mapped_column(UTCDateTime)
    # Wall-clock time where the activity happened, marked UTC as Strava sends it.
    start_date_local: Mapped[datetime | None] = mapped_column(UTCDateTime)
    timezone: Mapped[str | None] = mapped_column(String(64))
    # The activity's day where it happened (``start_date_local``'s date, else the UTC
    # start's): the day its load counts for.
    start_day: Mapped[date] = mapped_column(Date, default=_start_day_default)
    moving_time_s: Mapped[int] = mapped_column(Integer, default=0)
    elapsed_time_s: Mapped[int] = mapped_column(Integer, default=0)
    distance_m: Mapped[float] = mapped_column(Float, default=0.0)
    elevation_gain_m: Mapped[float] = mapped_column(Float, default=0.0)
    average_watts: Mapped[float | None] = mapped_column(Float)
    weighted_average_watts: Mapped[float | None] = mapped_column(Float)
    device_watts: Mapped[bool] = mapped_column(Boolean, default=False)
    kilojoules: Mapped[float | None] = mapped_column(Float)
    average_heartrate: Mapped[float | None] = mapped_column(Float)
    max_heartrate: Mapped[float | None] = mapped_column(Float)
    average_speed: Mapped[float | None] = mapped_column(Float)
    trainer: Mapped[bool] = mapped_column(Boolean, default=False)
    commute: Mapped[bool] = mapped_column(Boolean, default=False)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    load: Mapped[float | None] = mapped_column(Float)
    load_method: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16), default=Source.STRAVA_API.value)
    # The legs of one multisport recording (swim, transition, bike…) share this key (the
    # file's SHA-256); None for every other activity.
    multisport_group: Mapped[str | None] = mapped_column(String(64))
    raw: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, server_default=func.now(), onupdate=func.now()
    )


class SyncState(Base):
    """Where an athlete's sync stands: freshness, dirtiness, backfill cursor, failures."""

    __tablename__ = "sync_states"

    athlete_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("athletes.id", ondelete="CASCADE"), primary_key=True
    )
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    newest_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dirty: Mapped[bool] = mapped_column(Boolean, default=False)
    dirty_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    backfill_cursor: Mapped[datetime | None] = mapped_column(UTCDateTime)
    backfill_done: Mapped[bool] = mapped_column(Boolean, default=False)
    backfill_fetched: Mapped[int] = mapped_column(Integer, default=0)
    # When the first page came: with the cursor, the backfill's pace (the time left).
    backfill_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the Strava account began (Strava's athlete ``created_at``): where history ends.
    history_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the next backfill page should be fetched; a backfill due long ago and not
    # moved on lost its task, and the periodic resume queues it again.
    backfill_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SkippedActivity(Base):
    """An activity Strava sent that could not be stored (a value no column can hold): the
    rest of its page was stored; the athlete and operators see why this one was not."""

    __tablename__ = "skipped_activities"
    __table_args__ = (UniqueConstraint("athlete_id", "strava_id"),)

    id: Mapped[int] = mapped_column(OwnId, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("athletes.id", ondelete="CASCADE")
    )
    strava_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text)
    skipped_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookEvent(Base):
    """A Strava push event, stored before it is acknowledged; processed by a worker."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("dedupe_key"),)

    id: Mapped[int] = mapped_column(OwnId, primary_key=True)
    # Hash of the event's content: a retried delivery of the same event is stored once.
    dedupe_key: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[int] = mapped_column(BigInteger)
    aspect_type: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int] = mapped_column(BigInteger, index=True)
    subscription_id: Mapped[int] = mapped_column(BigInteger)
    event_time: Mapped[datetime] = mapped_column(UTCDateTime)
    updates: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When its next try is due (a budget deferral or a retry), so the sweep for lost tasks
    # leaves it to the task scheduled for then.
    next_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why handling it failed for good (it is then marked processed, never retried blindly).
    last_error: Mapped[str | None] = mapped_column(Text)


class ApiUsage(Base):
    """A request counter for one budget scope and window (embedded-mode budget storage).

    ``scope`` is ``app`` / ``app-read`` or ``athlete:<id>``; ``window`` is ``15min`` or
    ``daily``; ``window_start`` is the UTC start of that window.
    """

    __tablename__ = "api_usage"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    window: Mapped[str] = mapped_column(String(8), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    used: Mapped[int] = mapped_column(Integer, default=0)


class AppSetting(Base):
    """Installation-wide values learnt at run time (e.g. Strava's push subscription id)."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, server_default=func.now(), onupdate=func.now()
    )


class ActivityStreams(Base):
    """An activity's per-second streams, fetched on first view and kept (one call each)."""

    __tablename__ = "activity_streams"

    activity_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    streams: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())


class ActivityCurve(Base):
    """One activity's curve of one kind, computed once when its streams are stored: the
    best mean power or heart rate per duration, or the best time per distance, as
    ``[[duration_s or distance_m, value], ...]``. Ranges of curves merge on read."""

    __tablename__ = "activity_curves"
    __table_args__ = (
        # Serves "this athlete's power curves since a day" without touching others.
        Index("ix_activity_curves_athlete_kind_start", "athlete_id", "kind", "start_date"),
    )

    activity_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    # "power", "heart_rate" or "pace".
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    athlete_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("athletes.id", ondelete="CASCADE")
    )
    start_date: Mapped[datetime] = mapped_column(UTCDateTime)
    points: Mapped[list[list[float]]] = mapped_column(JSONDocument, default=list)


class DeclinedFtp(Base):
    """The FTP estimate an athlete declined when it was proposed: not proposed again until
    the estimate moves on from it."""

    __tablename__ = "declined_ftp"

    athlete_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("athletes.id", ondelete="CASCADE"), primary_key=True
    )
    watts: Mapped[float] = mapped_column(Float)


class ThresholdEntry(Base):
    """One dated threshold of an athlete: ``kind`` (``ftp``, ``threshold_hr``,
    ``threshold_pace``) is ``value`` from ``effective_from`` until the athlete's next entry
    of that kind. An activity is scored with the entries in force on its start date; a
    day before the first entry, or an entry whose value is NULL, uses the estimate from
    the athlete's activities. ``source`` says where the value came from: ``setting``,
    ``accepted estimate``, or the words of an estimate from the athlete's files."""

    __tablename__ = "threshold_history"
    __table_args__ = (UniqueConstraint("athlete_id", "kind", "effective_from"),)

    id: Mapped[int] = mapped_column(OwnId, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("athletes.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[float | None] = mapped_column(Float)
    effective_from: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="setting")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())


class LoadRecompute(Base):
    """The athlete's latest request to recompute loads after a threshold change: the
    activities started on or after ``since`` (NULL: all), and how far the worker got.
    ``generation`` grows with each request, so a task that a newer request overtook stops
    and leaves the progress to the newer one."""

    __tablename__ = "load_recomputes"

    athlete_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("athletes.id", ondelete="CASCADE"), primary_key=True
    )
    generation: Mapped[int] = mapped_column(Integer, default=1)
    since: Mapped[date | None] = mapped_column(Date)
    total: Mapped[int | None] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeclinedThreshold(Base):
    """A proposed threshold heart rate or run pace (``kind``) the athlete declined: not
    proposed again until the estimate moves on from it (FTP has ``declined_ftp``)."""

    __tablename__ = "declined_thresholds"

    athlete_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("athletes.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[float] = mapped_column(Float)


class ClaimConflict(Base):
    """A Strava id an athlete's own data claimed that Strava's API gave to another athlete:
    the API row won, the claim was dropped; operators see these on /admin."""

    __tablename__ = "claim_conflicts"

    id: Mapped[int] = mapped_column(OwnId, primary_key=True)
    strava_id: Mapped[int] = mapped_column(BigInteger)
    claimed_by: Mapped[int] = mapped_column(BigInteger, index=True)
    owner: Mapped[int] = mapped_column(BigInteger)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())


class Deletion(Base):
    """The record that an athlete's data was deleted: when, why, and how much.

    It names fitcoach's athlete id only, so an operator can show a deletion happened (a
    whole account, or the data of a Strava connection) without keeping anything of it.
    """

    __tablename__ = "deletions"

    id: Mapped[int] = mapped_column(OwnId, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(BigInteger, index=True)
    reason: Mapped[str] = mapped_column(String(64))
    activities_deleted: Mapped[int] = mapped_column(Integer, default=0)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())


class ImportJob(Base):
    """One import of the athlete's own files (an upload or a CLI run) and its progress.

    The web page polls this row while a worker imports; ``problems`` names each file that
    was skipped and why, so one bad file never hides behind a count.
    """

    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(OwnId, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("athletes.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(Text, default="")
    # The upload waiting for a worker, relative to DATA_DIR; cleared once it is imported.
    stored_path: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    merged: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    problems: Mapped[list[Any]] = mapped_column(JSONDocument, default=list)
    # The activities this import stored or merged (at most MAX_LINKED_ACTIVITIES), so the
    # finished import links to them.
    activity_ids: Mapped[list[Any]] = mapped_column(
        JSONDocument, default=list, server_default=text("'[]'")
    )
    # For a Strava archive: the newest activity it holds, so backfill asks only for later ones.
    covers_up_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    # Moved on every progress step: a running job whose heartbeat stopped is resumed.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Times a worker started it: after MAX_ATTEMPTS the job fails with its last reason.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # For a file of the inbox: its content's hash while this attempt at it counts against
    # the file (the worker stopped, or a fault no file refusal explains). Cleared once the
    # file has left the inbox, or when the attempt ended by an outage (not the file's).
    inbox_sha256: Mapped[str | None] = mapped_column(String(64))


class ImportedFile(Base):
    """A file already imported for an athlete, by the hash of its (decompressed) content,
    so the same file imported twice is stored once."""

    __tablename__ = "imported_files"

    athlete_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("athletes.id", ondelete="CASCADE"), primary_key=True
    )
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Deleting the activity forgets the file, so importing it again brings it back.
    activity_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())


class DailyLoad(Base):
    """Training load fitcoach derived for one athlete and day, kept when the activities it
    came from are not: retention deletes Strava API rows but carries their load here, so
    the fitness chart still covers the past. ``source`` is where the load came from."""

    __tablename__ = "daily_loads"

    athlete_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("athletes.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    load: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, server_default=func.now(), onupdate=func.now()
    )


class TrainingPlan(Base):
    """An athlete's training plan: the goal it aims at, the time they have, the sports it
    plans, their own changes to it (kept across re-plans) and the secret of its calendar
    feed. ``version`` is the newest of its ``plan_versions``."""

    __tablename__ = "training_plans"

    athlete_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("athletes.id", ondelete="CASCADE"), primary_key=True
    )
    goal_name: Mapped[str | None] = mapped_column(String(255))
    goal_date: Mapped[date | None] = mapped_column(Date)
    goal_priority: Mapped[str | None] = mapped_column(String(1))
    goal_sport: Mapped[str | None] = mapped_column(String(16))
    # Hours available per weekday, Monday first.
    hours: Mapped[list[float]] = mapped_column(JSONDocument, default=list)
    sports: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    # The athlete's own changes by day (ISO date → the workout they chose, or rest).
    locks: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    # The calendar feed's secret: whoever knows it reads the plan, so it can be rotated.
    feed_token: Mapped[str] = mapped_column(String(64), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    # The last day the plan was checked against what was done (re-planned if need be).
    checked_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, server_default=func.now(), onupdate=func.now()
    )


class PlanVersion(Base):
    """One version of an athlete's plan, kept: the whole plan as it stood, what changed
    from the version before and why."""

    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("athlete_id", "version"),)

    id: Mapped[int] = mapped_column(OwnId, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("athletes.id", ondelete="CASCADE")
    )
    version: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)
    made_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # What made it: goal, availability, replan, skip, move, swap, add.
    cause: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    # The whole plan as ``planning.codec.plan_json`` writes it, zlib-compressed JSON: a
    # year's plan is ~180 KB of JSON and ~8 KB packed, and a version is kept most days.
    packed_document: Mapped[bytes] = mapped_column(LargeBinary)


class PlannedWorkout(Base):
    """A session of the current plan version (rest days have none): what the pages, the
    API, the files and the calendar feed show. An unchanged session keeps its id across
    versions."""

    __tablename__ = "planned_workouts"
    __table_args__ = (Index("ix_planned_workouts_athlete_day", "athlete_id", "day"),)

    id: Mapped[int] = mapped_column(OwnId, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("athletes.id", ondelete="CASCADE")
    )
    version: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    sport: Mapped[str] = mapped_column(String(16))
    workout_type: Mapped[str] = mapped_column(String(32))
    minutes: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text, default="")
    planned_load: Mapped[float] = mapped_column(Float)
    planned_duration_s: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text, default="")
    locked: Mapped[bool] = mapped_column(Boolean, default=False)


class McpToken(Base):
    """A token an athlete gave their own AI assistant to reach fitcoach's MCP server.

    Only the SHA-256 of the token is stored (the token is a 256-bit random secret, so a
    fast hash is enough and lookups stay one indexed read); the athlete sees it once.
    ``scope`` is "read" or "read-write". A revoked token keeps its row, so the settings
    page can say when it stopped working.
    """

    __tablename__ = "mcp_tokens"

    id: Mapped[int] = mapped_column(OwnId, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("athletes.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, so the athlete can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@event.listens_for(Activity, "before_insert")
@event.listens_for(Activity, "before_update")
def _set_start_day(_mapper: Any, _connection: Any, activity: Activity) -> None:
    """The day an activity counts for follows its start times, however they were set."""
    # Both times are stored as UTC (the local one is the wall clock marked UTC): the day is
    # the stored value's.
    activity.start_day = (activity.start_date_local or activity.start_date).astimezone(UTC).date()


register_tables(frozenset(Base.metadata.tables))
