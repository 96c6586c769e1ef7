"""Give every existing vendor its vendor workforce (new vendors get one when created)."""

from django.db import migrations


def create_vendor_workforces(apps, schema_editor):
    VendorProfile = apps.get_model("marketplace", "VendorProfile")
    Workforce = apps.get_model("workforce", "Workforce")
    for profile in VendorProfile.objects.all():
        Workforce.objects.get_or_create(
            kind="vendor",
            organization_id=profile.organization_id,
            defaults={"name": f"{profile.display_name} (vendor)"[:100]},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("workforce", "0010_teams_vendor_workforces_skills"),
        ("marketplace", "0002_vendor_listings_engagements"),
    ]

    operations = [migrations.RunPython(create_vendor_workforces, migrations.RunPython.noop)]
