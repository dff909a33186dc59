# The constraint in its own migration: on PostgreSQL, adding it in the
# transaction that just updated the rows' foreign keys fails on pending triggers.
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("organisations", "0002_audit_trail")]

    operations = [
        migrations.AddConstraint(
            model_name='auditevent',
            constraint=models.CheckConstraint(condition=models.Q(('actor__isnull', False), ('action', 'account.sign_in_failed'), _connector='OR'), name='audit_event_has_actor', violation_error_message='Every audit event names who acted; only a failed sign-in has nobody signed in.'),
        ),
    ]
