"""The platform's system qualification types, with Mechanical Turk's ids."""

from django.db import migrations

SYSTEM_TYPES = [
    (
        "000000000000000000L0",
        "Worker_PercentAssignmentsApproved",
        "The percentage of the worker's submitted assignments that were approved (0-100).",
    ),
    (
        "00000000000000000040",
        "Worker_NumberHITsApproved",
        "How many of the worker's assignments have been approved.",
    ),
    (
        "00000000000000000071",
        "Worker_Locale",
        "The country (and subdivision) of the worker's profile, ISO 3166.",
    ),
    ("00000000000000000060", "Worker_Adult", "1 when the worker has said they are an adult."),
]


def create_system_types(apps, schema_editor):
    QualificationType = apps.get_model("workforce", "QualificationType")
    for type_id, name, description in SYSTEM_TYPES:
        QualificationType.objects.update_or_create(
            type_id=type_id, defaults={"name": name, "description": description, "owner": None}
        )


def delete_system_types(apps, schema_editor):
    QualificationType = apps.get_model("workforce", "QualificationType")
    QualificationType.objects.filter(type_id__in=[row[0] for row in SYSTEM_TYPES]).delete()


class Migration(migrations.Migration):
    dependencies = [("workforce", "0004_qualifications")]

    operations = [migrations.RunPython(create_system_types, delete_system_types)]
