"""A timer with a schedule NCRONTAB refuses (day-of-week 7)."""

import azure.functions as func

app = func.FunctionApp()


@app.timer_trigger(arg_name="timer", schedule="0 0 0 * * 7")
def bad_schedule(timer: func.TimerRequest) -> None:
    return None
