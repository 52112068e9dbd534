from django.db import migrations

# The default red lines (their names are translated by ``models.DEFAULT_CATEGORIES``).
DEFAULTS = [
    ("false_visit", "False visits or check-ins"),
    ("false_deal", "False or split deals"),
    ("poaching", "Customer poaching"),
    ("kickback", "Kickbacks"),
    ("data_leak", "Leaking customer data"),
    ("values", "Values violation"),
]


def load(apps, schema_editor):
    Category = apps.get_model("discipline", "Category")
    for sort, (code, name) in enumerate(DEFAULTS, start=1):
        Category.objects.get_or_create(code=code, defaults={"name": name, "sort": sort * 10})


def unload(apps, schema_editor):
    Category = apps.get_model("discipline", "Category")
    Category.objects.filter(code__in=[code for code, _ in DEFAULTS], cases__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("discipline", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
