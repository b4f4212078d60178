"""The definition of every figure, carried in the output next to the figure (and quoted in the README)."""

from __future__ import annotations

from incident_mcp.uptime import FORMULA

PERIOD = ("An incident counts in the period it was detected in: since <= detected_at < until, all of its "
          "durations included even when it ended after until. Uptime and error budget clip impact to the window.")
PERCENTILES = ("mean; median = the middle value (mean of the two middle values when n is even); p90 by "
               "nearest rank = the ceil(0.9 × n)-th smallest value (n = 1, 2 or 3: the largest). Minutes, 1 decimal.")
COUNTS = ("Incidents detected in the period, by current severity and by affected service; records closed as "
          "duplicate or false_alarm are counted apart and left out of every other figure.")
TIME_TO_ACKNOWLEDGE = ("MTTA: acknowledged_at − detected_at. Excluded: never acknowledged; closed as "
                       "duplicate/false alarm.")
TIME_TO_MITIGATE = ("MTTM: first mitigation event (rollback, hotfix, flag disable, …) − detected_at. Excluded: no "
                    "mitigation recorded; closed as duplicate/false alarm.")
TIME_TO_RESOLVE = ("Time to resolve (the R of MTTR is 'resolve' here): resolved_at − detected_at. Excluded: still "
                   "open; closed as duplicate/false alarm.")
TIME_IN_STATE = ("Minutes spent in each state (investigating, identified, monitoring) replayed from the timeline; "
                 "an open incident counts up to now. total = all incidents, mean = per incident.")
CHANGE_FAILURE_RATE = ("DORA change fail rate: deploys in the period (deploy log, since <= at < until) that an "
                       "incident names in caused_by (deploy id, or the commit sha the deploy shipped) ÷ deploys in "
                       "the period.")
RECOVERY_TIME = ("DORA failed deployment recovery time: median time to resolve of the resolved incidents caused by "
                 "the failed deploys above.")
UPTIME = (f"{FORMULA}; P0 = major outage, P1 = partial outage, P2/P3 = degraded (counts as up), maintenance "
          "counts as up; spans clipped to the window; time without data is left out of the window.")
ERROR_BUDGET = ("Error budget over the SLO's own window ending at until: budget = (1 − target) × window minutes "
                "(99.9 % over 30 days = 43.2 min); used = weighted down minutes of the formula above; left = "
                "budget − used (negative: overspent).")
TRENDS = "This period against the previous period of the same length (lower is better for every figure)."
