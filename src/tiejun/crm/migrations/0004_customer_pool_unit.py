import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):
    """Each customer's team, set-based: its owner's latest; for a pool customer, the team its
    last owner was in when it left them, else the team of its first deal; else none (admin's)."""
    Customer = apps.get_model("crm", "Customer")
    Membership = apps.get_model("org", "Membership")
    OwnershipChange = apps.get_model("crm", "OwnershipChange")
    Deal = apps.get_model("crm", "Deal")

    latest_of_owner = Membership.objects.filter(person_id=OuterRef("owner_id")).order_by(
        "-valid_from", "-id"
    )
    Customer.objects.filter(owner__isnull=False).update(
        unit_id=Subquery(latest_of_owner.values("unit_id")[:1])
    )
    last_change = OwnershipChange.objects.filter(
        customer_id=OuterRef(OuterRef("pk")), from_person__isnull=False
    ).order_by("-changed_at", "-id")
    team_when_left = Membership.objects.filter(
        person_id=Subquery(last_change.values("from_person_id")[:1]),
        valid_from__lte=Subquery(last_change.values("changed_at")[:1]),
    ).order_by("-valid_from", "-id")
    Customer.objects.filter(owner__isnull=True).update(
        unit_id=Subquery(team_when_left.values("unit_id")[:1])
    )
    first_deal = Deal.objects.filter(customer_id=OuterRef("pk")).order_by("won_date", "id")
    Customer.objects.filter(unit__isnull=True).update(
        unit_id=Subquery(first_deal.values("unit_id")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0003_contact_opportunity_ownershipchange_customer_address_and_more"),
        ("org", "0002_person_session"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="unit",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="org.unit",
                verbose_name="team",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
