"""The graph-update stage: one queue message per analysed prompt.

Idempotent by message id (redelivery changes nothing). Any failure raises, so the
host retries the message and, after ``maxDequeueCount`` attempts (host.json), moves
it to ``graph-updates-poison``: nothing is dropped silently.
"""

from __future__ import annotations

import logging

import azure.functions as func

from shared.service import get_service

bp = func.Blueprint()
log = logging.getLogger(__name__)


@bp.function_name("graph_update")
@bp.queue_trigger(arg_name="msg", queue_name="%PSS_GRAPH_QUEUE_NAME%", connection="AzureWebJobsStorage")
def graph_update(msg: func.QueueMessage) -> None:
    dequeue_count = int(getattr(msg, "dequeue_count", 1) or 1)
    outcome = get_service().graph_update(msg.get_body().decode("utf-8"), msg.id, dequeue_count)
    log.info("graph update %s: %s", msg.id, outcome["outcome"])
