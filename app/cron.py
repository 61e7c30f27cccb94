"""Configuration for `rq cron app.cron`: every periodic job, declared in one place.

The periodic store jobs themselves are declared next to their centers with
``app.core.periodic.every``; this module imports the centers and registers a fan-out for each.
"""
from rq import cron

from app import import_center_modules
from app.core.periodic import PERIODIC, PLATFORM_PERIODIC, fan_out, run_platform

import_center_modules()
for item in PERIODIC:
    cron.register(fan_out, "default", args=(item.job_name,), interval=item.seconds,
                  name=f"fan_out:{item.job_name}")
for item in PLATFORM_PERIODIC:
    cron.register(run_platform, "default", args=(item.job_name,), interval=item.seconds,
                  name=f"platform:{item.job_name}")
