"""Tests for the write API's events (`POST /api/articles/{id}/events`) and `observed` times."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from versionvault.archive import Vault, add_editor
from versionvault.text import make_article
from versionvault.web import create_app

from .conftest import git

EVENTS = "/api/articles/ferry-story/events"
REVISIONS = "/api/articles/ferry-story/revisions"
STORY = make_article(
    id="ferry-story", source="harbour-courier", title="Ferry", body="The ferry leaves at 7.\n"
)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_events_and_their_refusals(vault: Vault, home: Path) -> None:
    token = add_editor(home / "editors.toml", "outpost-north")
    with TestClient(create_app(vault)) as client:
        missing = client.post(EVENTS, json={"event": "removed"}, headers=_auth(token))
        assert missing.status_code == 404 and "ferry-story" in missing.json()["error"]
        vault.save_revision(STORY)
        payload = {
            "event": "removed",
            "observed": "2026-03-05T08:00:00+01:00",
            "url": "https://harbour-courier.example/ferry",
            "note": "HTTP 410",
        }
        created = client.post(EVENTS, json=payload, headers=_auth(token))
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["event"] == "removed" and body["article"] == "ferry-story"
        (event,) = vault.events("ferry-story")
        assert (event.commit, event.observed, event.note) == (
            body["commit"],
            "2026-03-05T08:00:00+01:00",
            "HTTP 410",
        )
        refusals = [
            ({}, {"event": "removed"}, 401),
            (_auth("wrong"), {"event": "removed"}, 401),
            (_auth(token), {"event": "vanished"}, 422),
            (_auth(token), {"event": "removed", "by": "me"}, 422),
            (_auth(token), {"note": "no event"}, 422),
            (_auth(token), {"event": "removed", "note": "a\x00b"}, 422),
            (_auth(token), {"event": "removed", "observed": "yesterday"}, 422),
            (_auth(token), {"event": "removed", "observed": "1960-01-01T00:00:00Z"}, 422),
            (_auth(token), {"event": "removed", "observed": "2999-01-01T00:00:00Z"}, 422),
            (_auth(token), {"event": 7}, 422),
        ]
        for headers, data, status in refusals:
            response = client.post(EVENTS, json=data, headers=headers)
            assert response.status_code == status, (data, response.text)
            assert response.json()["error"]
        bad_id = client.post(
            "/api/articles/Bad_Id/events", json={"event": "removed"}, headers=_auth(token)
        )
        assert bad_id.status_code == 400
        not_json = client.post(EVENTS, content=b"event=removed", headers=_auth(token))
        assert not_json.status_code == 415
    assert len(vault.events("ferry-story")) == 1
    trailers = git("--git-dir", str(home / "articles.git"), "log", "-1", "--format=%(trailers)")
    assert "Editor: outpost-north\n" in trailers


def test_a_revision_may_say_when_it_was_observed(vault: Vault, home: Path) -> None:
    token = add_editor(home / "editors.toml", "outpost-north")
    with TestClient(create_app(vault)) as client:
        payload = {"title": "Ferry", "body": "Seven.", "source": "harbour-courier"}
        seen = {**payload, "observed": "2026-03-04T09:30:00+00:00"}
        created = client.post(REVISIONS, json=seen, headers=_auth(token))
        assert created.status_code == 201, created.text
        assert vault.revision("ferry-story").observed == "2026-03-04T09:30:00+00:00"
        late = {**payload, "body": "Eight.", "observed": "2999-01-01T00:00:00+00:00"}
        refused = client.post(REVISIONS, json=late, headers=_auth(token))
        assert refused.status_code == 422 and refused.json()["field"] == "observed"
    assert len(vault.history("ferry-story")) == 1


_VALUES = st.one_of(st.text(max_size=40), st.integers(), st.none(), st.lists(st.text(max_size=3)))


def test_hostile_event_bodies_are_refused_or_saved_never_broken(vault: Vault, home: Path) -> None:
    vault.save_revision(STORY)
    token = add_editor(home / "editors.toml", "ann")
    times = st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat)
    named = st.sampled_from(["removed", "left-feed"])
    events = st.one_of(named, named, named, _VALUES)
    others = st.dictionaries(
        st.sampled_from(["observed", "url", "note"]), st.one_of(times, st.text(), _VALUES)
    )
    bodies = st.builds(
        lambda event, rest, stray: {**rest, **event, **stray},
        st.one_of(st.just({}), st.fixed_dictionaries({"event": events})),
        others,
        st.one_of(st.just({}), st.just({}), st.dictionaries(st.text(max_size=8), _VALUES)),
    )

    with TestClient(create_app(vault), raise_server_exceptions=False) as client:

        @given(bodies)
        @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        def post(data: dict[str, Any]) -> None:
            before = len(vault.events("ferry-story"))
            response = client.post(EVENTS, json=data, headers=_auth(token))
            assert response.status_code in (201, 400, 422), response.text  # 400: over a JSON limit
            assert isinstance(response.json(), dict)
            after = len(vault.events("ferry-story"))
            assert after - before == (response.status_code == 201)

        post()
    assert vault.events("ferry-story")  # some were saved, and every commit is sound
    git("--git-dir", str(home / "articles.git"), "fsck", "--strict")
    assert vault.verify() == []
