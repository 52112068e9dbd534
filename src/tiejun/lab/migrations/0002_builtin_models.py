from django.db import migrations

BUILTIN = [
    ("visit", "一对一拜访", "One-to-one visit", False),
    ("salon", "会销/沙龙", "Salon", True),
    ("online", "网络营销", "Online", False),
    ("partner", "生态伙伴", "Partner", False),
    ("community", "社群", "Community", True),
    ("livestream", "直播", "Livestream", True),
    ("other", "其他", "Other", False),
]


def add_builtin(apps, schema_editor):
    SalesModel = apps.get_model("lab", "SalesModel")
    for sort, (code, name, name_en, one_to_many) in enumerate(BUILTIN):
        SalesModel.objects.get_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "one_to_many": one_to_many, "sort": sort},
        )


class Migration(migrations.Migration):
    dependencies = [("lab", "0001_initial")]
    operations = [migrations.RunPython(add_builtin, migrations.RunPython.noop)]
