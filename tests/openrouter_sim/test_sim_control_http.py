from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest
from sim_support import API_KEY, FakeClock, chat_body

from openrouter_sim import SimServer

URL = "/api/v1/chat/completions"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture
def root(sim: SimServer) -> Iterator[httpx.Client]:
    """A client on the server root; control endpoints need no auth."""
    with httpx.Client(base_url=sim.url, timeout=10.0) as c:
        yield c


def test_posted_fault_applies_to_the_next_chat_request(root: httpx.Client) -> None:
    created = root.post(
        "/_sim/faults", json={"kind": "http_error", "status": 429, "retry_after_s": 2}
    )
    assert created.status_code == 201
    assert root.get("/_sim/faults").json()["faults"][0]["kind"] == "http_error"
    response = root.post(URL, json=chat_body(), headers=AUTH)
    assert (response.status_code, response.headers["retry-after"]) == (429, "2")
    assert root.get("/_sim/faults").json()["faults"] == []


def test_delete_faults_clears_the_queue(root: httpx.Client) -> None:
    root.post("/_sim/faults", json={"kind": "http_error", "status": 503, "count": -1})
    assert root.delete("/_sim/faults").status_code == 200
    assert root.post(URL, json=chat_body(), headers=AUTH).status_code == 200


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param({"kind": "nope"}, "kind", id="unknown-kind"),
        pytest.param({"status": 500}, "kind", id="missing-kind"),
        pytest.param({"kind": "http_error", "status": "500"}, "status", id="status-string"),
        pytest.param({"kind": "reset", "colour": "red"}, "colour", id="unknown-field"),
    ],
)
def test_bad_fault_is_a_400_naming_the_field(
    root: httpx.Client, payload: dict[str, object], field: str
) -> None:
    response = root.post("/_sim/faults", json=payload)
    assert response.status_code == 400
    assert field in response.json()["error"]["message"]


def test_requests_endpoint_lists_recorded_chat_requests(root: httpx.Client) -> None:
    body = chat_body(score=0.5)
    root.post(URL, json=body, headers=AUTH)
    recorded = root.get("/_sim/requests").json()
    assert len(recorded) == 1  # control calls are not recorded
    entry = recorded[0]
    assert entry["method"] == "POST"
    assert entry["path"] == URL
    assert entry["headers"]["authorization"] == AUTH["Authorization"]
    assert entry["body"] == body
    assert base64.b64decode(entry["raw_base64"]).startswith(b"{")
    assert isinstance(entry["time"], float)
    root.delete("/_sim/requests")
    assert root.get("/_sim/requests").json() == []


def test_state_reports_epoch_frontier_and_whole_schedule(
    root: httpx.Client, sim: SimServer, clock: FakeClock
) -> None:
    state = root.get("/_sim/state").json()
    assert state["epoch"] == 0
    assert state["epoch_count"] == 4
    assert state["shift_every_s"] == 60.0
    assert state["cycle"] is True
    assert state["next_shift_at"] == state["started_at"] + 60.0
    assert state["frontier"]["medium"]["pick"] == sim.resolve(min_coding_score=0.5)
    assert [e["name"] for e in state["schedule"]] == [e.name for e in sim.schedule.epochs]
    clock.advance(180.0)
    later = root.get("/_sim/state").json()
    assert later["epoch"] == 3
    assert later["frontier"]["high"]["pick"] == "anthropic/claude-opus-4.7"
    assert later["frontier"]["high"]["nitro_pick"] == "openai/gpt-5.4"


def test_posting_an_epoch_pins_the_frontier(root: httpx.Client, sim: SimServer) -> None:
    pinned = root.post("/_sim/state", json={"epoch": 2})
    assert pinned.json()["epoch"] == 2
    response = root.post(URL, json=chat_body(score=0.5), headers=AUTH)
    assert response.json()["model"] == "z-ai/glm-4.7"
    assert response.headers["x-sim-epoch"] == "2"
    root.post("/_sim/state", json={"epoch": None})
    assert sim.epoch_index() == 0
    assert root.post("/_sim/state", json={"epoch": 9}).status_code == 400


def test_unknown_control_path_is_a_404(root: httpx.Client) -> None:
    assert root.get("/_sim/nothing").status_code == 404
