"""The seed's capacity table with measured figures, as Markdown (it reads well in a terminal
and pastes into the docs as it is)."""

from __future__ import annotations

from fitcoach.capacity.run import CapacityReport
from fitcoach.capacity.world import StrategyRun

# seed/scaling-strategy.md's "Users" and "API Calls/Day" columns, for comparison.
SEED_CLAIMS = {
    "seed-current": ("100-200", "~1,000"),
    "seed-daily": ("500-800", "~100-200"),
    "seed-webhooks": ("10,000+", "~50-100"),
    "fitcoach": ("-", "-"),
}


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)
    ]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = [
        "| "
        + " | ".join(
            c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        + " |"
        for r in rows
    ]
    return [line, rule, *body]


def _ratio(calls: int, bound: int) -> str:
    return f"{calls / bound:.2f}" if bound else "-"


def _per_day(count: int, days: int) -> str:
    return f"{count:,} ({count / days:,.0f} a day)"


def _count_check(run: StrategyRun) -> str:
    return "yes" if all(d.counts_agree for d in run.days) else "NO"


def summary_rows(report: CapacityReport) -> list[list[str]]:
    rows = []
    for run in report.runs:
        days = len(run.days)
        calls = sum(d.calls for d in run.days)
        bound = sum(d.lower_bound for d in run.days)
        athletes = sum(d.athletes for d in run.days) / days
        views = sum(d.views for d in run.days)
        stale = sum(d.stale_views for d in run.days)
        claim_users, claim_calls = SEED_CLAIMS[run.strategy]
        rows.append(
            [
                run.strategy,
                claim_users,
                claim_calls,
                f"{run.athletes}",
                f"{calls / days:,.0f}",
                f"{calls / days / athletes:.2f}",
                f"{max(d.peak_15min for d in run.days)}",
                f"{sum(d.failed_views for d in run.days)} / {views}",
                f"{stale} ({100 * stale / max(views, 1):.1f} %)",
                f"{bound / days:,.0f}",
                _ratio(calls, bound),
            ]
        )
    return rows


def day_rows(report: CapacityReport) -> list[list[str]]:
    rows = []
    for run in report.runs:
        for d in run.days:
            presses = ", ".join(f"{k} {v}" for k, v in sorted(d.presses_by_outcome.items()))
            rows.append(
                [
                    run.strategy,
                    str(d.day + 1),
                    str(d.athletes),
                    str(d.calls),
                    f"{d.calls_per_athlete:.2f}",
                    str(d.peak_15min),
                    str(d.views),
                    str(d.failed_views),
                    str(d.stale_views),
                    str(d.lower_bound),
                    _ratio(d.calls, d.lower_bound),
                    str(d.fitcoach_count) + ("" if d.counts_agree else " (!)"),
                    str(d.refused),
                    presses or "-",
                ]
            )
    return rows


def cause_rows(report: CapacityReport) -> list[list[str]]:
    rows = []
    for run in report.runs:
        causes: dict[str, int] = {}
        for day in run.days:
            for cause, count in day.calls_by_cause.items():
                causes[cause] = causes.get(cause, 0) + count
        ranked = sorted(causes.items(), key=lambda item: -item[1])
        rows.append([run.strategy, ", ".join(f"{c} {n}" for c, n in ranked) or "-"])
    return rows


def render(report: CapacityReport) -> str:
    options = report.options
    lines = [
        f"fitcoach capacity: {options.athletes} athletes, {options.days} days, "
        f"seed {options.seed}, "
        f"mix {', '.join(f'{k}={v:g}' for k, v in options.mix.items())}, "
        f"{options.uploads_per_day:g} uploads/day, edits {options.edit_rate:g}, "
        f"deletes {options.delete_rate:g}, {options.joins_per_day:g} new athletes/day "
        f"({options.history_days} days of history), read limits "
        f"{options.read_short_limit}/15 min {options.read_long_limit}/day, overall "
        f"{options.short_limit}/{options.long_limit}"
        + (f" (Strava's defaults x {options.limits_scale:g})" if options.limits_scale != 1 else ""),
        "",
    ]
    if report.runs:
        header = [
            "strategy",
            "seed's users",
            "seed's calls/day",
            "athletes",
            "calls/day",
            "calls/athlete",
            "peak 15 min",
            "failed views",
            "stale views",
            "lower bound/day",
            "calls/bound",
        ]
        lines += [*_table(header, summary_rows(report)), ""]
        header = [
            "strategy",
            "day",
            "athletes",
            "calls",
            "calls/athlete",
            "peak 15 min",
            "views",
            "failed",
            "stale",
            "lower bound",
            "ratio",
            "fitcoach count",
            "refused",
            "refresh presses",
        ]
        lines += [*_table(header, day_rows(report)), ""]
        header = ["strategy", "calls by cause (all days)"]
        lines += [*_table(header, cause_rows(report)), ""]
        for run in report.runs:
            check = _count_check(run)
            lines.append(
                f"{run.strategy}: {run.seconds:.0f} s; simulator and fitcoach counts agree: {check}"
                + (
                    f"; events lost: {run.extra['lost_events']}"
                    if run.extra.get("lost_events")
                    else ""
                )
                + (
                    "; loads computed from streams fetched in spare budget:"
                    f" {_per_day(run.extra['upgraded_loads'], len(run.days))}"
                    if run.extra.get("upgraded_loads")
                    else ""
                )
            )
    if report.find_max:
        header = [
            "strategy",
            "seed's users",
            "seed's calls/day",
            "users served",
            "calls/day there",
            "first N failing",
            "probes (+ served, - not)",
        ]
        rows = []
        for r in report.find_max:
            served = [p for p in r.probes if p.serves_all and p.athletes == r.athletes]
            rows.append(
                [
                    r.strategy,
                    *SEED_CLAIMS[r.strategy],
                    f"{r.athletes:,}",
                    f"{served[0].calls_per_day:,}" if served else "-",
                    "-" if r.first_failing is None else f"{r.first_failing:,}",
                    " ".join(f"{p.athletes}{'+' if p.serves_all else '-'}" for p in r.probes),
                ]
            )
        lines += [*_table(header, rows), ""]
    lines.append(f"total {report.seconds:.0f} s, peak memory {report.peak_rss_mb:.0f} MB")
    return "\n".join(lines)
