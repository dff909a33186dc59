"""The prose register finding is gone: its meaning is in the register rule
fields (and, where it said more, the register note) since the last migration."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("assurance", "0005_standard_register_rule_from_prose")]

    operations = [migrations.RemoveField(model_name="standard", name="register_finding")]
