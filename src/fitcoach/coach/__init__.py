"""Training maths over plain data: load per activity, fitness/fatigue/form, thresholds,
zones, summaries and recommendations; no I/O. docs/metrics.md has every
formula and its source."""

from fitcoach.coach.curves import (
    CriticalFit,
    CurvePoint,
    MonthlyFtp,
    best_means,
    best_times,
    critical_power,
    critical_speed,
    ftp_by_month,
    merge_best,
)
from fitcoach.coach.errors import CoachError
from fitcoach.coach.heart_rate import banister_trimp, banister_trimp_stream, heart_rate_tss
from fitcoach.coach.load import ActivityLoad, LoadMethod, activity_load
from fitcoach.coach.models import Activity, AthleteThresholds, Sex, Streams
from fitcoach.coach.performance import (
    EPOCH,
    DailyLoads,
    DailyNumbers,
    PerformanceDay,
    PerformanceSeries,
    daily_load_totals,
    daily_numbers,
    day_number,
    performance_on,
    performance_series,
)
from fitcoach.coach.power import intensity_factor, normalized_power, training_stress_score
from fitcoach.coach.recommendations import (
    Kind,
    Recommendation,
    RuleSettings,
    Severity,
    foster_monotony_strain,
    recommend,
)
from fitcoach.coach.running import normalized_graded_speed, running_tss
from fitcoach.coach.summaries import (
    PeriodSummary,
    SportSummary,
    Totals,
    monthly_summary,
    weekly_summary,
)
from fitcoach.coach.swim import swim_tss
from fitcoach.coach.taper import GoalEvent, TaperProjection, project_taper
from fitcoach.coach.thresholds import ResolvedThresholds, ThresholdEstimate, resolve_thresholds
from fitcoach.coach.zones import (
    Zone,
    ZoneTime,
    activity_zone_times,
    heart_rate_zones,
    pace_zones,
    power_zones,
    time_in_zones,
)

__all__ = [
    "EPOCH",
    "Activity",
    "ActivityLoad",
    "AthleteThresholds",
    "CoachError",
    "CriticalFit",
    "CurvePoint",
    "DailyLoads",
    "DailyNumbers",
    "GoalEvent",
    "Kind",
    "LoadMethod",
    "MonthlyFtp",
    "PerformanceDay",
    "PerformanceSeries",
    "PeriodSummary",
    "Recommendation",
    "ResolvedThresholds",
    "RuleSettings",
    "Severity",
    "Sex",
    "SportSummary",
    "Streams",
    "TaperProjection",
    "ThresholdEstimate",
    "Totals",
    "Zone",
    "ZoneTime",
    "activity_load",
    "activity_zone_times",
    "banister_trimp",
    "banister_trimp_stream",
    "best_means",
    "best_times",
    "critical_power",
    "critical_speed",
    "daily_load_totals",
    "daily_numbers",
    "day_number",
    "foster_monotony_strain",
    "ftp_by_month",
    "heart_rate_tss",
    "heart_rate_zones",
    "intensity_factor",
    "merge_best",
    "monthly_summary",
    "normalized_graded_speed",
    "normalized_power",
    "pace_zones",
    "performance_on",
    "performance_series",
    "power_zones",
    "project_taper",
    "recommend",
    "resolve_thresholds",
    "running_tss",
    "swim_tss",
    "time_in_zones",
    "training_stress_score",
    "weekly_summary",
]
