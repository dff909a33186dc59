"""The register rule of a standard as fields: groups, finding kinds, scope
and a note (`Standard` docstring says why). The prose `register_finding` is
converted by the next migration, then removed."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('assurance', '0003_quarterly_returns'),
    ]

    operations = [
        migrations.AddField(
            model_name='standard',
            name='register_findings',
            field=models.JSONField(blank=True, default=list, help_text='Which kinds of register finding stand in the way of a green rating.', verbose_name='register findings that count'),
        ),
        migrations.AddField(
            model_name='standard',
            name='register_groups',
            field=models.JSONField(blank=True, default=list, help_text='The groups of posts whose register findings a green rating depends on.', verbose_name='register groups'),
        ),
        migrations.AddField(
            model_name='standard',
            name='register_note',
            field=models.CharField(blank=True, help_text='Anything about the register rule its words do not already say.', max_length=300, verbose_name='register note'),
        ),
        migrations.AddField(
            model_name='standard',
            name='register_scope',
            field=models.CharField(choices=[('icb', "The ICB's own posts"), ('providers', 'The posts of the providers the ICB leads'), ('icb_and_providers', "Both the ICB's posts and its providers'")], default='icb_and_providers', max_length=20, verbose_name='whose posts'),
        ),
        migrations.AlterField(
            model_name='posttype',
            name='register_group',
            field=models.CharField(blank=True, choices=[('designated', 'Designated professionals (ICB)'), ('named_gp', 'Named GPs (ICB)'), ('named', 'Named professionals (providers)'), ('mca', 'MCA leads'), ('prevent', 'Prevent leads'), ('leadership', 'Executive leads')], help_text="Which group a toolkit standard's register rule counts the post in.", max_length=20),
        ),
    ]
