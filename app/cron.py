"""Configuration for `rq cron app.cron`: every periodic job, declared in one place.

The periodic store jobs themselves are declared next to their centers with
``app.core.periodic.every``; this module imports the centers and registers a fan-out for each.
"""
from rq import cron

from app import import_center_modules
from app.core.periodic import PERIODIC, fan_out

import_center_modules()
for item in PERIODIC:
    cron.register(fan_out, "default", args=(item.job_name,), interval=item.seconds,
                  name=f"fan_out:{item.job_name}")
