from django.db import migrations

from tiejun.lab.models import builtin_sales_models


def add_builtin(apps, schema_editor):
    # The built-in models are the sales channels (``builtin_sales_models``); get_or_create, so a
    # channel added later can be added by its own data migration with the same call.
    SalesModel = apps.get_model("lab", "SalesModel")
    for sort, (code, name, name_en, one_to_many) in enumerate(builtin_sales_models()):
        SalesModel.objects.get_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "one_to_many": one_to_many, "sort": sort},
        )


class Migration(migrations.Migration):
    dependencies = [("lab", "0001_initial")]
    operations = [migrations.RunPython(add_builtin, migrations.RunPython.noop)]
