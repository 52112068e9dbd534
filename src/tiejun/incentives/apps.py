from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncentivesConfig(AppConfig):
    name = "tiejun.incentives"
    label = "incentives"
    verbose_name = _("Incentives")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tiejun.audit.kinds import ACTIONS, OBJECT_TYPES

        OBJECT_TYPES.setdefault("incentive_plan", _("Incentive plan"))
        OBJECT_TYPES.setdefault("incentive_statement", _("Incentive statement"))
        ACTIONS.setdefault("approve", _("approved"))

        from tiejun.crm.signals import deal_won, deals_imported

        from . import signals
        from .checks import register_checks

        register_checks()
        deal_won.connect(signals.on_deal_won, dispatch_uid="incentives.milestone_reached")
        deals_imported.connect(
            signals.on_deals_imported, dispatch_uid="incentives.milestone_reached_import"
        )

        from tiejun.lab.hooks import register_cost_model

        from .labcost import planner_cost_panel

        register_cost_model(planner_cost_panel)

        from tiejun.scoreboard.columns import register_board_column

        from .hooks import ytd_milestone_column

        register_board_column(ytd_milestone_column)

        from tiejun.rhythm.backtest import register_backtest_section

        from .backtest import milestone_backtest, render_milestones

        register_backtest_section("milestones", milestone_backtest, render_milestones)
