"""Local dev host for the Azure Functions Python v2 app: no Azure account, no Core Tools.

Serves the app's own HTTP routes (read from its registered bindings, same URLs, same
auth levels), delivers queue messages to queue-triggered functions (in-process, or
Azure Storage/Azurite when ``AzureWebJobsStorage`` points at it), and fires timers on
their NCRONTAB schedules. ``python -m infra.devhost`` runs it in the foreground;
:class:`DevHost` is the Python API for tests and benchmarks.
"""

from .errors import DevHostError
from .host import DEFAULT_MAX_BODY, DevHost
from .ncrontab import CronSchedule, ScheduleError, parse_schedule

__all__ = ["DEFAULT_MAX_BODY", "CronSchedule", "DevHost", "DevHostError", "ScheduleError", "parse_schedule"]
