"""The commission cost of a sales-model mix: the statements' maths, summed over the reps."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tiejun.incentives.maths import ZERO, ModelTerms, Tier, commission, fen, mix_cost, rep_shares

TIERS = [
    Tier(Decimal(0), Decimal("0.8"), Decimal("0.03")),
    Tier(Decimal("0.8"), Decimal(1), Decimal("0.05")),
    Tier(Decimal(1), None, Decimal("0.08")),
]
MODELS = ("visit", "salon", "online")

money = st.decimals(min_value=0, max_value=2_000_000, places=2)
targets_st = st.lists(st.decimals(min_value=0, max_value=300_000, places=2), max_size=6)
split_st = st.fixed_dictionaries(dict.fromkeys(MODELS, money))
cap_st = st.one_of(st.none(), st.decimals(min_value=0, max_value=20_000, places=2))
counted_st = st.one_of(st.none(), st.frozensets(st.sampled_from(MODELS)))


@settings(max_examples=200, deadline=None)
@given(split=split_st, targets=targets_st, cap=cap_st, counted=counted_st)
def test_cost_of_a_split_is_the_sum_of_the_reps_statements(split, targets, cap, counted):
    # when
    cost = mix_cost(split, targets, TIERS, cap=cap, counted=counted, months=3)
    # then: each rep's month as a statement computes it, three times
    expected = ZERO
    for target, share in zip(targets, rep_shares(targets), strict=True):
        achieved = sum(
            (fen(split[m] * share / 3) for m in MODELS if counted is None or m in counted), ZERO
        )
        expected += commission(achieved, target, TIERS, cap=cap).earned * 3
    assert cost.cost == expected
    assert abs(sum(cost.by_model.values()) - cost.cost) <= Decimal("0.01") * len(MODELS)
    assert cost.net == cost.revenue - cost.cost


def test_worked_example_and_cost_per_yuan():
    # given one rep with a monthly target of 100,000 and 330,000 expected over the quarter
    split = {"visit": Decimal(220_000), "online": Decimal(110_000)}
    # when
    cost = mix_cost(split, [Decimal(100_000)], TIERS, months=3)
    # then 110,000 a month: 80,000 × 3 % + 20,000 × 5 % + 10,000 × 8 % = 4,200; × 3 months
    assert cost.cost == Decimal("12600.00")
    assert cost.by_model == {"visit": Decimal("8400.00"), "online": Decimal("4200.00")}
    assert cost.per_yuan("online") == Decimal("4200") / Decimal(110_000)
    assert cost.per_yuan("salon") is None


def test_a_flat_rate_takes_a_model_out_of_the_tiers():
    split = {"visit": Decimal(220_000), "online": Decimal(110_000)}
    terms = {"online": ModelTerms(flat=Decimal("0.05"))}
    cost = mix_cost(split, [Decimal(100_000)], TIERS, months=3, terms=terms)
    # visit alone: 73,333.33 a month, all in the first tier: 2,200.00 (rounded as a statement's
    # line); online: 5 % of 36,666.67 = 1,833.33 a month
    assert cost.by_model["online"] == Decimal("5499.99")
    assert cost.by_model["visit"] == Decimal("6600.00")
    assert cost.cost == Decimal("12099.99")


def test_a_multiplier_scales_the_models_tier_pay_and_the_cap_still_holds():
    split = {"visit": Decimal(220_000), "online": Decimal(110_000)}
    doubled = mix_cost(
        split, [Decimal(100_000)], TIERS, terms={"online": ModelTerms(multiplier=Decimal(2))}
    )
    assert doubled.by_model["online"] == Decimal("8400.00")
    assert doubled.cost == Decimal("16800.00")
    capped = mix_cost(
        split,
        [Decimal(100_000)],
        TIERS,
        cap=Decimal(3000),
        terms={"online": ModelTerms(multiplier=Decimal(2))},
    )
    assert capped.cost == Decimal("9000.00")


def test_models_outside_the_plans_channels_cost_nothing_and_no_reps_cost_nothing():
    split = {"visit": Decimal(300_000), "online": Decimal(300_000)}
    only_online = mix_cost(split, [Decimal(100_000)], TIERS, counted={"online"})
    assert only_online.by_model["visit"] == 0
    assert only_online.by_model["online"] == Decimal("10200.00")  # 3,400 a month × 3
    assert mix_cost(split, [], TIERS).cost == 0
