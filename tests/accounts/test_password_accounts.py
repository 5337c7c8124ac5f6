"""Accounts of fitcoach's own: sign up and in with an e-mail and a password, without
Strava; one answer for a wrong e-mail and a wrong password; tries limited per account
and per source; CSRF on every form; sign-ups closed and invitation links; the account
page's re-authentication, "Download my data" and "Delete my account"."""

from __future__ import annotations

import csv
import gzip
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from fitcoach.accounts.service import invite
from fitcoach.models import Activity, Athlete, Base, Deletion, ImportedFile, Invitation
from fitcoach.web.throttle import ACCOUNT_BURST, SOURCE_BURST
from tests.conftest import MovableClock, RunningServer, recording_app, services_of
from tests.dashboard.dashboard_support import settings_for
from tests.imports.builders import fit_file, ride
from tests.planning.plan_support import GOAL_FORM

PASSWORD = "correct horse battery"
START = datetime(2026, 3, 1, 6, tzinfo=UTC)


@dataclass
class Site:
    app: object
    clock: MovableClock

    def browser(self) -> TestClient:
        return TestClient(self.app)  # type: ignore[arg-type]

    def count(self, model: type) -> int:
        with services_of(self.app).sessions() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)


def make_site(url: URL, simulator: RunningServer, **extra: object) -> Site:
    clock = MovableClock(datetime(2026, 6, 1, 12, tzinfo=UTC))
    app, _ = recording_app(settings_for(url, simulator, **extra), inline=True, clock=clock)
    return Site(app, clock)


@pytest.fixture
def site(sqlite_url: URL, simulator: RunningServer, isolated_settings: Path) -> Iterator[Site]:
    built = make_site(sqlite_url, simulator)
    yield built
    services_of(built.app).engine.dispose()


def csrf(client: TestClient, path: str = "/auth/signin") -> str:
    page = client.get(path)
    return page.text.split('name="csrf" value="')[1].split('"')[0]


def sign_up(client: TestClient, email: str = "ada@example.com", **extra: str) -> int:
    answer = client.post(
        "/auth/signup",
        data={"csrf": csrf(client), "email": email, "password": PASSWORD, **extra},
        follow_redirects=False,
    )
    return answer.status_code


def sign_in(client: TestClient, email: str, password: str) -> tuple[int, str]:
    answer = client.post(
        "/auth/signin",
        data={"csrf": csrf(client), "email": email, "password": password},
        follow_redirects=False,
    )
    return answer.status_code, answer.text


def test_an_account_without_strava_uses_every_page(site: Site) -> None:
    client = site.browser()
    assert sign_up(client, "  Ada@Example.COM ") == 303
    with services_of(site.app).sessions() as session:
        athlete = session.scalars(select(Athlete)).one()
        assert athlete.email == "ada@example.com"
        assert athlete.password_hash is not None and athlete.password_hash.startswith("$argon2")
    imported = client.post(
        "/import",
        data={"csrf": csrf(client, "/import")},
        files={"file": ("ride.fit.gz", gzip.compress(fit_file(ride(START, 1800))))},
        follow_redirects=False,
    )
    assert imported.status_code == 303, imported.text
    for path in ("/", "/settings", "/import", "/account", "/coach"):
        page = client.get(path)
        assert page.status_code == 200, (path, page.text)
        assert "Log out" in page.text
    assert "Connect Strava" in client.get("/settings").text
    assert "Refresh from Strava" not in client.get("/").text
    listed = client.get("/api/strava/activities").json()["activities"]
    assert [row["name"] for row in listed] and all(row["strava_id"] is None for row in listed)


def test_a_wrong_email_and_a_wrong_password_get_the_same_answer(site: Site) -> None:
    assert sign_up(site.browser()) == 303
    client = site.browser()
    wrong_email = sign_in(client, "bob@example.com", PASSWORD)
    wrong_password = sign_in(client, "ada@example.com", "not the password")
    assert wrong_email[0] == wrong_password[0] == 401
    assert wrong_email[1].replace("bob@example.com", "E") == wrong_password[1].replace(
        "ada@example.com", "E"
    ).replace(csrf(client), csrf(client))
    assert "The e-mail address or the password is wrong." in wrong_email[1]
    assert client.get("/account").status_code == 401
    assert sign_in(client, "ADA@example.com", PASSWORD)[0] == 303
    assert client.get("/account").status_code == 200


def test_tries_are_limited_per_account_and_per_source(site: Site) -> None:
    assert sign_up(site.browser()) == 303
    client = site.browser()
    for _ in range(ACCOUNT_BURST):
        assert sign_in(client, "ada@example.com", "guess guess")[0] == 401
    # The right password too waits: the limit is the account's, not the guesser's luck.
    refused = client.post(
        "/auth/signin",
        data={"csrf": csrf(client), "email": "ada@example.com", "password": PASSWORD},
    )
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many tries" in refused.text
    # Every try counts for the source (the sign-up, the refused one too): a spray of
    # other addresses from the same source stops at its burst.
    for index in range(SOURCE_BURST - ACCOUNT_BURST - 2):
        assert sign_in(client, f"n{index}@example.com", "guess guess")[0] == 401
    assert sign_in(client, "new@example.com", "guess guess")[0] == 429
    site.clock.now += timedelta(minutes=15)
    assert sign_in(client, "ada@example.com", PASSWORD)[0] == 303


def test_forms_need_their_csrf_token_and_bad_input_changes_nothing(site: Site) -> None:
    client = site.browser()
    forged = client.post(
        "/auth/signup", data={"email": "ada@example.com", "password": PASSWORD, "csrf": "x"}
    )
    assert forged.status_code == 403
    for email, password, named in (
        ("not-an-address", PASSWORD, "Enter an e-mail address like name@example.com."),
        ("ada@example.com", "short", "Choose a password of at least 10 characters."),
    ):
        answer = client.post(
            "/auth/signup",
            data={"csrf": csrf(client, "/auth/signup"), "email": email, "password": password},
        )
        assert answer.status_code == 400 and named in answer.text
    assert site.count(Athlete) == 0
    assert sign_up(client) == 303
    taken = site.browser()
    answer = taken.post(
        "/auth/signup",
        data={
            "csrf": csrf(taken, "/auth/signup"),
            "email": "ada@example.com",
            "password": "x" * 12,
        },
    )
    assert answer.status_code == 409 and "already exists" in answer.text
    assert site.count(Athlete) == 1


def test_closed_signups_take_an_invitation_once(
    sqlite_url: URL, simulator: RunningServer, isolated_settings: Path
) -> None:
    site = make_site(sqlite_url, simulator, signups_open=False)
    client = site.browser()
    assert "by invitation only" in client.get("/auth/signup").text
    assert sign_up(client) == 403
    token = invite(services_of(site.app).sessions, "for Ada", site.clock())
    with services_of(site.app).sessions() as session:
        stored = session.scalars(select(Invitation)).one()
        assert stored.token_sha256 != token and stored.used_at is None
    page = client.get("/auth/signup", params={"invitation": token})
    assert f'name="invitation" value="{token}"' in page.text
    assert sign_up(client, invitation=token) == 303
    assert sign_up(site.browser(), "bob@example.com", invitation=token) == 400
    with services_of(site.app).sessions() as session:
        used = session.scalars(select(Invitation)).one()
        ada = session.scalars(select(Athlete.id)).one()
        assert used.used_by == ada and used.used_at == site.clock()
    expired = invite(services_of(site.app).sessions, "", site.clock())
    site.clock.now += timedelta(days=15)
    assert sign_up(site.browser(), "carol@example.com", invitation=expired) == 400
    assert site.count(Athlete) == 1


def test_changing_the_email_and_password_needs_the_password(site: Site) -> None:
    client = site.browser()
    assert sign_up(client) == 303
    other = site.browser()
    assert sign_in(other, "ada@example.com", PASSWORD)[0] == 303
    token = csrf(client, "/account")
    refused = client.post(
        "/account/email",
        data={"csrf": token, "email": "ada@new.example", "email_password": "wrong password"},
    )
    assert refused.status_code == 400 and "That is not your password." in refused.text
    moved = client.post(
        "/account/email",
        data={"csrf": token, "email": "ada@new.example", "email_password": PASSWORD},
    )
    assert moved.status_code == 200 and "You now sign in with ada@new.example." in moved.text
    changed = client.post(
        "/account/password",
        data={"csrf": token, "current_password": PASSWORD, "new_password": "a new passphrase"},
    )
    assert changed.status_code == 200 and "every other login" in changed.text
    assert client.get("/account").status_code == 200  # this browser carries on
    assert other.get("/account").status_code == 401  # the other login ended
    assert sign_in(site.browser(), "ada@new.example", "a new passphrase")[0] == 303
    assert sign_in(site.browser(), "ada@example.com", "a new passphrase")[0] == 401


def test_download_my_data_reads_back_and_delete_leaves_only_the_record(site: Site) -> None:
    client = site.browser()
    assert sign_up(client) == 303
    client.post(
        "/import",
        data={"csrf": csrf(client, "/import")},
        files={"file": ("morning.fit", fit_file(ride(START, 1800)))},
    )
    token = csrf(client, "/settings")
    client.post(
        "/settings",
        data={
            "csrf": token,
            "ftp_watts": "260",
            "goal_event_name": "Marmotte",
            "goal_event_date": "2026-07-05",
            "goal_event_priority": "A",
        },
    )
    planned = client.post(
        "/plan/goal",
        data={
            "csrf": token,
            **GOAL_FORM,
            "goal_name": "Autumn 100",
            "goal_date": "2026-08-30",
            "sports": "ride",
        },
        follow_redirects=False,
    )
    assert planned.status_code == 303, planned.text
    download = client.get("/account/export")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert "attachment" in download.headers["content-disposition"]
    bundle = zipfile.ZipFile(io.BytesIO(download.content))
    assert set(bundle.namelist()) == {
        "README.txt",
        "activities.csv",
        "activities.json",
        "profile.json",
        "plan.json",
        "daily_loads.csv",
    }
    rows = list(csv.DictReader(io.StringIO(bundle.read("activities.csv").decode())))
    assert len(rows) == 1
    assert (rows[0]["source"], rows[0]["imported_file"]) == ("file", "morning.fit")
    assert len(rows[0]["file_sha256"]) == 64 and 1790 <= int(rows[0]["moving_time_s"]) <= 1800
    documents = json.loads(bundle.read("activities.json"))
    assert documents[0]["id"] == int(rows[0]["id"]) and documents[0]["document"]
    profile = json.loads(bundle.read("profile.json"))
    assert profile["account"]["email"] == "ada@example.com"
    assert profile["settings"]["ftp_watts"] == 260
    # The plan's goal is the athlete's goal (the plan form sets it).
    assert profile["goal_event"] == {"name": "Autumn 100", "date": "2026-08-30", "priority": "A"}
    assert {line["name"] for line in profile["thresholds_in_use"]} >= {"FTP"}
    # The FTP set on Settings holds from that day (today, by default), dated in the export.
    ftp = [item for item in profile["threshold_history"] if item["name"] == "ftp"]
    assert ftp[-1]["value"] == 260 and ftp[-1]["effective_from"] == "2026-06-01"
    plan = json.loads(bundle.read("plan.json"))
    assert plan["goal"]["name"] == "Autumn 100" and "feed_token" not in json.dumps(plan)
    assert plan["sessions"] and all(item["day"] <= "2026-08-30" for item in plan["sessions"])

    token = csrf(client, "/account")
    for data, problem in (
        ({"confirm": "delete", "delete_password": "wrong password"}, "That is not your password."),
        ({"confirm": "", "delete_password": PASSWORD}, "Type delete to confirm"),
    ):
        refused = client.post("/account/delete", data={"csrf": token, **data})
        assert refused.status_code == 400 and problem in refused.text
    assert site.count(Activity) == 1
    deleted = client.post(
        "/account/delete", data={"csrf": token, "confirm": "delete", "delete_password": PASSWORD}
    )
    assert deleted.status_code == 200 and "Your account is deleted" in deleted.text
    assert (site.count(Athlete), site.count(Activity), site.count(ImportedFile)) == (0, 0, 0)
    # Nothing keyed by the account is left anywhere but the deletion record.
    with services_of(site.app).sessions() as session:
        left = {
            table.name: session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
            if "athlete_id" in table.c and table.name != "deletions"
        }
    assert set(left.values()) == {0}, left
    with services_of(site.app).sessions() as session:
        record = session.scalars(select(Deletion)).one()
        assert (record.reason, record.activities_deleted) == ("deleted by the athlete", 1)
    assert client.get("/account").status_code == 401
    assert sign_in(site.browser(), "ada@example.com", PASSWORD)[0] == 401


def test_with_redis_two_web_processes_share_the_tries(
    sqlite_url: URL, simulator: RunningServer, redis_url: str, isolated_settings: Path
) -> None:
    # Two apps on one database and one Redis, as two web processes behind one address.
    first = make_site(sqlite_url, simulator, redis_url=redis_url)
    second = make_site(sqlite_url, simulator, redis_url=redis_url)
    second.clock.now = first.clock.now
    try:
        assert sign_up(first.browser()) == 303
        clients = [first.browser(), second.browser()]
        for index in range(ACCOUNT_BURST):
            assert sign_in(clients[index % 2], "ada@example.com", "guess guess")[0] == 401
        # Each process alone has tries left; the account's burst is spent across both.
        for client in clients:
            assert sign_in(client, "ada@example.com", PASSWORD)[0] == 429
        for site in (first, second):
            site.clock.now += timedelta(minutes=15)
        assert sign_in(clients[1], "ada@example.com", PASSWORD)[0] == 303
    finally:
        for site in (first, second):
            services_of(site.app).engine.dispose()
