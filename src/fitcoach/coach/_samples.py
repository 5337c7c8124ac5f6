"""How a stream's samples become time: dropouts, pauses and irregular recording.

One rule for every stream-based metric (docs/metrics.md, "Gaps and pauses"):
- a None/NaN sample is a dropout: it is skipped, and the last good reading is held
  over it while the gap to the next reading is at most ``max_gap_s``;
- a gap between readings longer than ``max_gap_s`` is a pause (auto-pause, a stop with
  the recording halted): the paused time counts for nothing, the reading before it for
  one sample;
- a zero is a real reading (coasting, standing) and counts like any other.
"""

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from fitcoach.coach.errors import CoachError

FloatArray = npt.NDArray[np.float64]
# A stream as Strava sends it (a list, gaps as None) or as a float array (gaps as NaN).
StreamValues = Sequence[float | None] | FloatArray

# Smart recording writes a sample every few seconds while moving; anything longer is
# taken to be a stop rather than steady riding the device did not bother to record.
DEFAULT_MAX_GAP_S = 10.0


def to_array(values: StreamValues, name: str) -> FloatArray:
    """A 1-D float array of the stream, None turned into NaN."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise CoachError(f"{name} must be a sequence of numbers or None: {exc}") from exc
    if array.ndim != 1:
        raise CoachError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def check_rate(sample_rate_hz: float) -> None:
    if not (np.isfinite(sample_rate_hz) and sample_rate_hz > 0):
        raise CoachError(f"sample_rate_hz must be > 0, got {sample_rate_hz!r}")


def _times(n: int, time: StreamValues, name: str) -> tuple[FloatArray, FloatArray]:
    """The time stream, checked, and the gaps between its samples."""
    t = to_array(time, "time")
    if len(t) != n:
        raise CoachError(f"time has {len(t)} samples but {name} has {n}")
    gaps = np.diff(t)
    # A NaN or infinity inside t makes a gap NaN or negative, so with finite ends one pass
    # over the gaps checks both conditions.
    if not np.isfinite(t[[0, -1]] if n else t).all() or not (gaps >= 0).all():
        if not np.isfinite(t).all():
            raise CoachError("time must not contain missing values")
        raise CoachError("time must not go backwards")
    return t, gaps


def samples_with_durations(
    values: StreamValues,
    name: str,
    *,
    time: StreamValues | None = None,
    sample_rate_hz: float = 1.0,
    max_gap_s: float = DEFAULT_MAX_GAP_S,
) -> tuple[FloatArray, FloatArray]:
    """The good readings and the seconds each stands for (held up to max_gap_s, see above)."""
    check_rate(sample_rate_hz)
    v = to_array(values, name)
    step = 1.0 / sample_rate_hz
    good = np.isfinite(v)
    all_good = bool(good.all())
    if time is None:
        if all_good:
            return v, np.full(len(v), step)
        t = np.arange(len(v), dtype=np.float64) * step
    else:
        t, gaps = _times(len(v), time, name)
        if all_good:
            dt = np.append(gaps, step)
            return v, np.where(dt <= max_gap_s, dt, step)
    v, t = v[good], t[good]
    if len(v) == 0:
        return v, v.copy()
    dt = np.append(np.diff(t), step)
    return v, np.where(dt <= max_gap_s, dt, step)


def regular_samples(
    values: StreamValues,
    name: str,
    *,
    time: StreamValues | None = None,
    sample_rate_hz: float = 1.0,
    max_gap_s: float = DEFAULT_MAX_GAP_S,
) -> FloatArray:
    """The good readings laid on a regular grid of 1/sample_rate_hz, each held for its time."""
    check_rate(sample_rate_hz)
    # The common case (no dropouts, one reading per step) returns the stream itself, checked
    # but not copied: the general path below makes several passes over it.
    v = to_array(values, name)
    if bool(np.isfinite(v).all()):
        if time is None:
            return v
        if bool((_times(len(v), time, name)[1] == 1.0 / sample_rate_hz).all()):
            return v
    v, seconds = samples_with_durations(
        values, name, time=time, sample_rate_hz=sample_rate_hz, max_gap_s=max_gap_s
    )
    step = 1.0 / sample_rate_hz
    if len(v) == 0 or bool(np.all(seconds == step)):
        return v
    counts = np.rint(seconds * sample_rate_hz).astype(np.int64)
    return np.repeat(v, counts)


def rolling_mean(x: FloatArray, window: int) -> FloatArray:
    """Means of every complete window of ``window`` consecutive samples."""
    if window <= 1:
        return x
    csum = np.concatenate(([0.0], np.cumsum(x)))
    return (csum[window:] - csum[:-window]) / window


def best_average(
    values: StreamValues,
    seconds: float,
    name: str,
    *,
    time: StreamValues | None = None,
    sample_rate_hz: float = 1.0,
    max_gap_s: float = DEFAULT_MAX_GAP_S,
) -> float | None:
    """Highest mean over any ``seconds``-long stretch, or None if the stream is shorter."""
    x = regular_samples(values, name, time=time, sample_rate_hz=sample_rate_hz, max_gap_s=max_gap_s)
    window = round(seconds * sample_rate_hz)
    if len(x) < window or window < 1:
        return None
    return float(np.max(rolling_mean(x, window)))
