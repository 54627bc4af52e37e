"""Queue trigger that records each delivery and fails on request.

A JSON body ``{"fail_times": N}`` makes the first N deliveries raise, so the tests can
watch redelivery (dequeue_count) and the poison queue; ``{"sleep_ms": N}`` makes a
delivery take a while (parallelism, graceful stop)."""

from __future__ import annotations

import json
import time

import azure.functions as func

from . import recorder

bp = func.Blueprint()


@bp.queue_trigger(arg_name="msg", queue_name="%FIXTURE_QUEUE%", connection="AzureWebJobsStorage")
def consume(msg: func.QueueMessage) -> None:
    text = msg.get_body().decode("utf-8")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    recorder.record(
        "consume",
        at=time.monotonic(),
        id=msg.id,
        body=text,
        dequeue_count=msg.dequeue_count,
        has_insertion_time=msg.insertion_time is not None,
        has_pop_receipt=bool(msg.pop_receipt),
    )
    if isinstance(data, dict) and data.get("sleep_ms"):
        time.sleep(data["sleep_ms"] / 1000)
        recorder.record("consume_done", id=msg.id, at=time.monotonic())
    fail_times = data.get("fail_times", 0) if isinstance(data, dict) else 0
    if msg.dequeue_count is not None and msg.dequeue_count <= fail_times:
        raise RuntimeError(f"told to fail on delivery {msg.dequeue_count}")


@bp.queue_trigger(arg_name="text", queue_name="%FIXTURE_QUEUE%-str", connection="AzureWebJobsStorage")
@bp.queue_output(arg_name="$return", queue_name="%FIXTURE_QUEUE%-final", connection="AzureWebJobsStorage")
def relay(text: str) -> str:
    """A ``str`` trigger parameter gets the body; the return value goes to the next queue."""
    recorder.record("relay", body=text, type=type(text).__name__)
    return f"relayed:{text}"
