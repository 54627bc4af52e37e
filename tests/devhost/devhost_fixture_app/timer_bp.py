"""Timers: a schedule from an app setting, run-on-startup, a monitored one, a flaky one with retries."""

from __future__ import annotations

import azure.functions as func

from . import recorder

bp = func.Blueprint()


@bp.timer_trigger(arg_name="timer", schedule="%TICK_SCHEDULE%", use_monitor=False)
def tick(timer: func.TimerRequest) -> None:
    recorder.record("tick", past_due=timer.past_due, status=dict(timer.schedule_status))


@bp.function_name("startup_timer")
@bp.timer_trigger(arg_name="timer", schedule="0 0 0 1 1 *", run_on_startup=True)
def on_startup(timer: func.TimerRequest) -> None:
    recorder.record("startup", past_due=timer.past_due)


@bp.function_name("monthly_report")
@bp.timer_trigger(arg_name="timer", schedule="0 0 0 1 * *")
def monthly_report(timer: func.TimerRequest) -> None:
    recorder.record("monthly", past_due=timer.past_due)


@bp.function_name("flaky_timer")
@bp.timer_trigger(arg_name="timer", schedule="0 0 0 1 1 *")
@bp.retry(strategy="fixed_delay", max_retry_count="2", delay_interval="00:00:00")
def flaky_timer(timer: func.TimerRequest, context: func.Context) -> None:
    attempt = context.retry_context.retry_count
    recorder.record("flaky", attempt=attempt, max_retry=context.retry_context.max_retry_count)
    if attempt < 2:
        raise RuntimeError(f"flaky attempt {attempt}")


@bp.function_name("failing_timer")
@bp.timer_trigger(arg_name="timer", schedule="0 0 0 1 1 *")
def failing_timer(timer: func.TimerRequest) -> None:
    recorder.record("failing")
    raise RuntimeError("this timer always fails")
