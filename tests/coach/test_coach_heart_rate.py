import math

import pytest
from coach_factories import DETERMINISTIC
from hypothesis import given
from hypothesis import strategies as st

from fitcoach.coach import CoachError, Sex, banister_trimp, banister_trimp_stream, heart_rate_tss


def test_trimp_matches_a_published_worked_example() -> None:
    # Better Workouts' help page "What is Training Load?" (TRIMPexp): a man with maximum
    # HR 200 and resting HR 40 trains 30 min at 130 bpm; published result "32".
    #   x = (130 − 40) / (200 − 40) = 90 / 160 = 0.5625
    #   e^(1.92 × 0.5625) = e^1.08 = 2.94468; 0.64 × 2.94468 = 1.88460
    #   TRIMP = 30 × 0.5625 × 1.88460 = 30 × 1.06009 = 31.80 (≈ 32)
    trimp = banister_trimp(30 * 60, 130, 40, 200, Sex.MALE)
    assert trimp == pytest.approx(31.80, abs=0.01)
    assert round(trimp) == 32


def test_trimp_matches_the_worked_example_for_a_man() -> None:
    # Banister TRIMP = minutes × x × 0.64·e^(1.92·x), x = (HR − rest) / (max − rest).
    # 30 min at 160 bpm, resting 60, maximum 200:
    #   x = (160 − 60) / (200 − 60) = 100 / 140 = 0.7143
    #   e^(1.92 × 0.7143) = e^1.3714 = 3.9410; 0.64 × 3.9410 = 2.5222
    #   TRIMP = 30 × 0.7143 × 2.5222 = 30 × 1.8016 = 54.05
    assert banister_trimp(30 * 60, 160, 60, 200, Sex.MALE) == pytest.approx(54.05, abs=0.01)


def test_trimp_matches_the_worked_example_for_a_woman() -> None:
    # Same session with the women's weighting 0.86·e^(1.67·x):
    #   e^(1.67 × 0.7143) = e^1.1929 = 3.2965; 0.86 × 3.2965 = 2.8350
    #   TRIMP = 30 × 0.7143 × 2.8350 = 30 × 2.0250 = 60.75
    assert banister_trimp(30 * 60, 160, 60, 200, Sex.FEMALE) == pytest.approx(60.75, abs=0.01)


def test_unknown_sex_uses_the_mens_coefficients() -> None:
    assert banister_trimp(1800, 160, 60, 200, Sex.UNKNOWN) == banister_trimp(
        1800, 160, 60, 200, Sex.MALE
    )


def test_trimp_of_a_constant_stream_equals_the_steady_formula() -> None:
    stream = banister_trimp_stream([160.0] * 1800, 60, 200, Sex.MALE)
    assert stream == pytest.approx(banister_trimp(1800, 160, 60, 200, Sex.MALE))


def test_heart_rate_reserve_fraction_is_clamped() -> None:
    assert banister_trimp(600, 40, 60, 200, Sex.MALE) == 0.0
    assert banister_trimp(600, 230, 60, 200, Sex.MALE) == banister_trimp(
        600, 200, 60, 200, Sex.MALE
    )


def test_one_hour_at_threshold_heart_rate_is_hrtss_100() -> None:
    trimp = banister_trimp(3600, 170, 50, 190, Sex.FEMALE)
    assert heart_rate_tss(trimp, 170, 50, 190, Sex.FEMALE) == pytest.approx(100.0)


def test_stream_pauses_do_not_count() -> None:
    time = list(range(600)) + list(range(1200, 1800))
    with_pause = banister_trimp_stream([150.0] * 1200, 50, 190, Sex.MALE, time=time)
    assert with_pause == pytest.approx(banister_trimp(1200, 150, 50, 190, Sex.MALE))


@DETERMINISTIC
@given(
    st.floats(min_value=1, max_value=20000),
    st.floats(min_value=61, max_value=199),
    st.floats(min_value=0.1, max_value=10),
)
def test_trimp_scales_with_duration_and_rises_with_heart_rate(
    seconds: float, hr: float, k: float
) -> None:
    trimp = banister_trimp(seconds, hr, 60, 200, Sex.MALE)
    assert banister_trimp(k * seconds, hr, 60, 200, Sex.MALE) == pytest.approx(k * trimp)
    assert banister_trimp(seconds, hr + 1, 60, 200, Sex.MALE) > trimp
    x = (hr - 60) / 140
    assert trimp == pytest.approx(seconds / 60 * x * 0.64 * math.exp(1.92 * x))


def test_bad_heart_rate_input_is_a_coach_error() -> None:
    with pytest.raises(CoachError, match="resting_hr"):
        banister_trimp(600, 150, 200, 190, Sex.MALE)
    with pytest.raises(CoachError, match="threshold_hr"):
        heart_rate_tss(50, 45, 50, 190, Sex.MALE)
    with pytest.raises(CoachError, match="no readings"):
        banister_trimp_stream([], 50, 190, Sex.MALE)
    with pytest.raises(CoachError, match="duration_s"):
        banister_trimp(-1, 150, 50, 190, Sex.MALE)
