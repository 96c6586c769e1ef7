"""The "Top workers" system qualification: a worker's skill across jobs (the lower bound
of its 95% interval, in percent), kept current by workforce.system_qualifications."""

from django.db import migrations

TOP_WORKERS_ID = "GROUNDWORKTOPWORKERS"


def create_top_workers(apps, schema_editor):
    QualificationType = apps.get_model("workforce", "QualificationType")
    QualificationType.objects.update_or_create(
        type_id=TOP_WORKERS_ID,
        defaults={
            "name": "Top workers",
            "description": (
                "Workers whose accuracy across jobs is high with confidence: the value is the "
                "lower bound of the 95% interval of their skill (from answers checked "
                "against known labels, else from agreement with consolidated labels), in "
                "percent. Granted from 80 over at least 20 judged answers, kept down to 75."
            ),
            "owner": None,
        },
    )


def delete_top_workers(apps, schema_editor):
    QualificationType = apps.get_model("workforce", "QualificationType")
    QualificationType.objects.filter(type_id=TOP_WORKERS_ID).delete()


class Migration(migrations.Migration):
    dependencies = [("workforce", "0012_masters_qualification")]

    operations = [migrations.RunPython(create_top_workers, delete_top_workers)]
