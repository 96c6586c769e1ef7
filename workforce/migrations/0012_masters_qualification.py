"""The Masters system qualification (the top workers, by accuracy), with Mechanical
Turk's production id so that requirements naming it keep working."""

from django.db import migrations

MASTERS_ID = "2F1QJWKUDD8XADTFD2Q0G6UTO95ALH"


def create_masters(apps, schema_editor):
    QualificationType = apps.get_model("workforce", "QualificationType")
    QualificationType.objects.update_or_create(
        type_id=MASTERS_ID,
        defaults={
            "name": "Masters",
            "description": (
                "Top workers: at least 95% of their latest judged answers (at least 50, up to "
                "1,000) agree with the consolidated label; kept down to 90%. The value is the "
                "accuracy in percent."
            ),
            "owner": None,
        },
    )


def delete_masters(apps, schema_editor):
    QualificationType = apps.get_model("workforce", "QualificationType")
    QualificationType.objects.filter(type_id=MASTERS_ID).delete()


class Migration(migrations.Migration):
    dependencies = [("workforce", "0011_vendor_workforce_backfill")]

    operations = [migrations.RunPython(create_masters, delete_masters)]
