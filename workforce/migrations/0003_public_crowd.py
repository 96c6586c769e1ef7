"""Create the one public-crowd workforce every public job targets."""

from django.db import migrations


def create_public_crowd(apps, schema_editor):
    Workforce = apps.get_model("workforce", "Workforce")
    Workforce.objects.get_or_create(kind="public", defaults={"name": "Public crowd"})


class Migration(migrations.Migration):
    dependencies = [("workforce", "0002_workforces_and_blocks")]

    operations = [migrations.RunPython(create_public_crowd, migrations.RunPython.noop)]
