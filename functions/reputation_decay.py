"""The reputation-decay stage: a timer that moves non-baseline profiles to now.

Schedule from the ``PSS_REPUTATION_DECAY_SCHEDULE`` app setting (six-field NCRONTAB).
Paged and idempotent (see ``shared/decay.py``); never run on start-up.
"""

from __future__ import annotations

import logging

import azure.functions as func

from shared.service import get_service

bp = func.Blueprint()
log = logging.getLogger(__name__)


@bp.function_name("reputation_decay")
@bp.timer_trigger(arg_name="timer", schedule="%PSS_REPUTATION_DECAY_SCHEDULE%", run_on_startup=False, use_monitor=True)
def reputation_decay(timer: func.TimerRequest) -> None:
    report = get_service().reputation_decay()
    log.info("reputation decay: %s (past due: %s)", report, timer.past_due)
