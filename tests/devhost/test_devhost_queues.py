"""HTTP → queue output → queue trigger, redelivery and poison, in-process and on Azurite."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import httpx
import pytest
from azure.storage.queue import QueueClient, TextBase64DecodePolicy, TextBase64EncodePolicy
from devhost_testutil import FAST_HOST_JSON, FUNCTION_KEY, unique_queue, wait_until

from infra.devhost import DevHost, DevHostError
from infra.devhost.queues import InProcessQueues

FN = {"x-functions-key": FUNCTION_KEY}


def post_enqueue(host: DevHost, body: bytes | str) -> None:
    r = httpx.post(f"{host.base_url}/api/enqueue", headers=FN, content=body, timeout=10)
    assert r.status_code == 202, r.text


def queue_of(host: DevHost) -> str:
    return host.index.by_name("consume").trigger.queue_name  # type: ignore[union-attr]


@pytest.fixture(params=["inprocess", "azurite"])
def backend_host(request: pytest.FixtureRequest, make_host: Callable[..., DevHost]) -> Callable[..., DevHost]:
    """Hosts on either back end; Azurite is selected through AzureWebJobsStorage, as in real use."""

    def factory(**overrides: Any) -> DevHost:
        if request.param == "azurite":
            emulator = request.getfixturevalue("azurite")
            env = {"AzureWebJobsStorage": emulator.connection_string, **overrides.pop("env", {})}
            return make_host(queue_backend="auto", env=env, **overrides)
        return make_host(queue_backend="auto", **overrides)

    factory.kind = request.param  # type: ignore[attr-defined]
    return factory


def test_http_output_reaches_the_queue_trigger(backend_host: Callable[..., DevHost], recorder: ModuleType) -> None:
    host = backend_host()
    assert host.listeners[0].backend.kind == ("storage" if backend_host.kind == "azurite" else "inprocess")  # type: ignore[attr-defined]
    post_enqueue(host, "hello queue")
    post_enqueue(host, json.dumps([{"n": 1}, {"n": 2}, {"n": 3}]))  # a list output → three messages
    host.wait_for_queues_idle(10)
    got = recorder.get("consume")
    assert sorted(r["body"] for r in got) == sorted(["hello queue", '{"n": 1}', '{"n": 2}', '{"n": 3}'])
    assert all(r["dequeue_count"] == 1 and r["has_insertion_time"] and r["has_pop_receipt"] for r in got)
    assert len({r["id"] for r in got}) == 4  # real, distinct message ids
    assert host.queue_count(queue_of(host)) == 0
    assert host.poison_messages(queue_of(host)) == []
    stats = host.stats()["queues"][queue_of(host)]
    assert stats["succeeded"] == 4 and stats["latency_p50_s"] is not None


def test_redelivery_increments_dequeue_count_with_the_same_id(
    backend_host: Callable[..., DevHost], recorder: ModuleType
) -> None:
    host = backend_host()
    post_enqueue(host, json.dumps({"fail_times": 2}))
    host.wait_for_queues_idle(15)
    got = recorder.get("consume")
    assert [r["dequeue_count"] for r in got] == [1, 2, 3]
    assert len({r["id"] for r in got}) == 1
    assert host.poison_messages(queue_of(host)) == []


def test_message_failing_max_dequeue_count_times_goes_to_poison(
    backend_host: Callable[..., DevHost], recorder: ModuleType
) -> None:
    host = backend_host()
    body = json.dumps({"fail_times": 99, "tag": "poison-me"})
    post_enqueue(host, body)
    host.wait_for_queues_idle(15)
    assert [r["dequeue_count"] for r in recorder.get("consume")] == [1, 2, 3]  # maxDequeueCount = 3
    assert host.queue_count(queue_of(host)) == 0
    assert host.poison_messages(queue_of(host)) == [body]
    assert host.stats()["queues"][queue_of(host)]["poisoned"] == 1


def test_azurite_poison_message_is_base64_like_the_host_writes_it(
    make_host: Callable[..., DevHost], azurite: Any, recorder: ModuleType
) -> None:
    host = make_host(queue_backend="azurite", storage_connection=azurite.connection_string)
    body = json.dumps({"fail_times": 99, "text": "ünïcode ✓"})
    post_enqueue(host, body)
    host.wait_for_queues_idle(15)
    poison = queue_of(host) + "-poison"
    raw = QueueClient.from_connection_string(azurite.connection_string, poison)
    stored = [m.content for m in raw.peek_messages(max_messages=5)]
    assert stored == [base64.b64encode(body.encode()).decode()]
    # Readable by an SDK client configured the way the Functions host reads queues.
    decoded = QueueClient.from_connection_string(
        azurite.connection_string, poison, message_decode_policy=TextBase64DecodePolicy()
    )
    assert [m.content for m in decoded.peek_messages(max_messages=5)] == [body]


def test_azurite_delivers_messages_sent_by_sdk_code_and_poisons_undecodable_ones(
    make_host: Callable[..., DevHost], azurite: Any, recorder: ModuleType
) -> None:
    queue = unique_queue()
    host = make_host(
        queue_backend="azurite",
        storage_connection=azurite.connection_string,
        env={"FIXTURE_QUEUE": queue},
        host_json={
            "extensions": {"queues": {**FAST_HOST_JSON["extensions"]["queues"], "maxPollingInterval": "00:00:00.200"}}
        },
    )
    # What shared/ code would do: the SDK with the base64 policy (SPEC §7).
    sdk = QueueClient.from_connection_string(
        azurite.connection_string, queue, message_encode_policy=TextBase64EncodePolicy()
    )
    sdk.send_message("sent by the sdk")
    # A raw, non-base64 message: the host cannot decode it and it ends in the poison queue.
    QueueClient.from_connection_string(azurite.connection_string, queue).send_message("not base64 !!")
    wait_until(lambda: recorder.get("consume"), timeout=5)
    host.wait_for_queues_idle(15)
    assert [r["body"] for r in recorder.get("consume")] == ["sent by the sdk"]
    raw = QueueClient.from_connection_string(azurite.connection_string, queue + "-poison")
    assert [m.content for m in raw.peek_messages(max_messages=5)] == ["not base64 !!"]


def test_str_trigger_and_return_value_queue_output(backend_host: Callable[..., DevHost], recorder: ModuleType) -> None:
    host = backend_host()
    base = queue_of(host)
    host.enqueue(f"{base}-str", "payload ✓")
    host.wait_for_queues_idle(10)
    assert recorder.get("relay") == [{"body": "payload ✓", "type": "str"}]
    assert host.queue_messages(f"{base}-final") == ["relayed:payload ✓"]


def test_unreachable_storage_stops_start_up_with_a_clear_error(make_host: Callable[..., DevHost]) -> None:
    from infra.emulators import AZURITE_ACCOUNT, AZURITE_KEY, free_port

    dead = (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"QueueEndpoint=http://127.0.0.1:{free_port()}/{AZURITE_ACCOUNT};"
    )
    with pytest.raises(DevHostError, match="is Azurite running"):
        make_host(queue_backend="auto", env={"AzureWebJobsStorage": dead})
    assert "AzureWebJobsStorage" not in os.environ


def test_listener_survives_an_azurite_restart(
    make_host: Callable[..., DevHost], azurite: Any, recorder: ModuleType
) -> None:
    host = make_host(queue_backend="azurite", storage_connection=azurite.connection_string)
    post_enqueue(host, "before restart")
    host.wait_for_queues_idle(10)
    azurite.restart()  # in-memory: every queue is gone
    post_enqueue(host, "after restart")
    wait_until(lambda: len(recorder.get("consume")) == 2, timeout=10)
    assert [r["body"] for r in recorder.get("consume")] == ["before restart", "after restart"]


def test_retry_waits_visibility_timeout(make_host: Callable[..., DevHost], recorder: ModuleType) -> None:
    options = {**FAST_HOST_JSON["extensions"]["queues"], "visibilityTimeout": "00:00:00.400"}
    host = make_host(host_json={"extensions": {"queues": options}})
    post_enqueue(host, json.dumps({"fail_times": 1}))
    host.wait_for_queues_idle(10)
    first, second = recorder.get("consume")
    assert second["dequeue_count"] == 2
    assert second["at"] - first["at"] >= 0.38


def test_wait_for_idle_times_out_while_a_retry_is_pending(
    make_host: Callable[..., DevHost], recorder: ModuleType
) -> None:
    options = {**FAST_HOST_JSON["extensions"]["queues"], "visibilityTimeout": "00:00:30"}
    host = make_host(host_json={"extensions": {"queues": options}})
    post_enqueue(host, json.dumps({"fail_times": 1}))
    wait_until(lambda: recorder.get("consume"))
    with pytest.raises(TimeoutError, match="not idle"):
        host.wait_for_queues_idle(0.3)


def test_deliveries_run_in_parallel_up_to_the_batch(make_host: Callable[..., DevHost], recorder: ModuleType) -> None:
    host = make_host()  # batchSize 4 → up to 4 + 2 at once
    host.enqueue(queue_of(host), [json.dumps({"sleep_ms": 300, "i": i}) for i in range(4)])
    host.wait_for_queues_idle(10)
    starts = [r["at"] for r in recorder.get("consume")]
    ends = [r["at"] for r in recorder.get("consume_done")]
    assert len(starts) == len(ends) == 4
    # All four were running at the same time: every one started before any finished.
    assert max(starts) < min(ends)


def test_stop_finishes_in_flight_deliveries(make_host: Callable[..., DevHost], recorder: ModuleType) -> None:
    host = make_host()
    host.enqueue(queue_of(host), json.dumps({"sleep_ms": 400}))
    wait_until(lambda: recorder.get("consume"))
    host.stop()
    assert len(recorder.get("consume_done")) == 1


def test_in_process_queue_semantics() -> None:
    q = InProcessQueues()
    first = q.send("jobs", b"one")
    q.send("jobs", b"two")
    got = q.receive("jobs", 1, visibility_timeout=60)
    assert [(m.id, m.body, m.dequeue_count) for m in got] == [(first, b"one", 1)]
    assert q.count("jobs") == 2 and q.peek("jobs") == [b"two"]  # the leased one is invisible
    q.release("jobs", got[0], delay=0)
    again = sorted(q.receive("jobs", 5, visibility_timeout=60), key=lambda m: m.body)
    assert [(m.body, m.dequeue_count) for m in again] == [(b"one", 2), (b"two", 1)]
    with pytest.raises(LookupError):
        q.delete("jobs", got[0])  # stale pop receipt
    q.delete("jobs", again[1])
    assert q.move_to_poison("jobs", again[0]) == "jobs-poison"
    assert q.count("jobs") == 0 and q.peek("jobs-poison") == [b"one"]
    # A lease that expires makes the message visible again.
    q.send("short", b"x")
    q.receive("short", 1, visibility_timeout=0.05)
    assert q.receive("short", 1, visibility_timeout=1) == []
    assert 0 <= (q.next_visible_in("short") or 0) <= 0.05
    time.sleep(0.06)
    assert [m.dequeue_count for m in q.receive("short", 1, visibility_timeout=1)] == [2]
