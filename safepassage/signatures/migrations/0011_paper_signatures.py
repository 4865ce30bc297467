"""Paper signatures become signatures: channel, collected by, sheet; possible duplicates.

Rows imported before (a source, always confirmed) become the "import"
channel; every other row is "online". Paper tallies stay as they are
(legacy counts, see signatures/paper.py).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def mark_imports(apps, schema_editor):
    Signature = apps.get_model("signatures", "Signature")
    Signature.objects.exclude(source="").update(channel="import")


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0002_petition_bot_challenge"),
        ("directory", "0001_initial"),
        ("signatures", "0010_campaignstats_in_signatures"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PaperDuplicate",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "decision",
                    models.CharField(
                        blank=True,
                        choices=[("", "not decided yet"), ("keep", "both kept")],
                        max_length=4,
                        verbose_name="decision",
                    ),
                ),
                (
                    "found_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, editable=False, verbose_name="found"
                    ),
                ),
                ("decided_at", models.DateTimeField(blank=True, null=True, verbose_name="decided")),
            ],
            options={
                "verbose_name": "possible paper duplicate",
                "verbose_name_plural": "possible paper duplicates",
                "ordering": ["petition", "first", "second"],
            },
        ),
        migrations.AddField(
            model_name="campaignstats",
            name="by_collector",
            field=models.JSONField(
                default=dict, verbose_name="paper signatures by who collected them"
            ),
        ),
        migrations.AddField(
            model_name="campaignstats",
            name="on_paper",
            field=models.PositiveIntegerField(
                default=0, verbose_name="paper signatures with names"
            ),
        ),
        migrations.AddField(
            model_name="signature",
            name="channel",
            field=models.CharField(
                choices=[
                    ("online", "signed online"),
                    ("import", "imported from another online list"),
                    ("paper", "collected on paper"),
                ],
                default="online",
                editable=False,
                max_length=6,
                verbose_name="channel",
            ),
        ),
        migrations.AddField(
            model_name="signature",
            name="collected_by",
            field=models.CharField(
                blank=True, editable=False, max_length=200, verbose_name="collected by"
            ),
        ),
        migrations.AddField(
            model_name="signature",
            name="sheet",
            field=models.CharField(
                blank=True, editable=False, max_length=100, verbose_name="sheet or page"
            ),
        ),
        migrations.AlterField(
            model_name="campaignstats",
            name="paper",
            field=models.PositiveIntegerField(
                default=0, verbose_name="paper signatures counted apart"
            ),
        ),
        migrations.RunPython(mark_imports, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="signature",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("channel", "online"), ("source", "")),
                    models.Q(
                        ("channel__in", ["import", "paper"]),
                        ("status", "confirmed"),
                        models.Q(("source", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="signature_channel_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="signature",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("channel", "paper"), models.Q(("collected_by", ""), _negated=True)),
                    models.Q(
                        models.Q(("channel", "paper"), _negated=True),
                        ("collected_by", ""),
                        ("sheet", ""),
                    ),
                    _connector="OR",
                ),
                name="signature_paper_collected_by",
            ),
        ),
        migrations.AddField(
            model_name="paperduplicate",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="decided by",
            ),
        ),
        migrations.AddField(
            model_name="paperduplicate",
            name="first",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="signatures.signature",
                verbose_name="first",
            ),
        ),
        migrations.AddField(
            model_name="paperduplicate",
            name="petition",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="paper_duplicates",
                to="campaigns.petition",
            ),
        ),
        migrations.AddField(
            model_name="paperduplicate",
            name="second",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="signatures.signature",
                verbose_name="second",
            ),
        ),
        migrations.AddIndex(
            model_name="signature",
            index=models.Index(
                condition=models.Q(("channel", "paper")),
                fields=["petition", "collected_by"],
                name="signature_paper_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="paperduplicate",
            index=models.Index(fields=["petition", "decision"], name="paper_duplicate_open_idx"),
        ),
        migrations.AddConstraint(
            model_name="paperduplicate",
            constraint=models.UniqueConstraint(
                fields=("first", "second"), name="paper_duplicate_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="paperduplicate",
            constraint=models.CheckConstraint(
                condition=models.Q(("first__lt", models.F("second"))),
                name="paper_duplicate_ordered",
            ),
        ),
        migrations.AddConstraint(
            model_name="paperduplicate",
            constraint=models.CheckConstraint(
                condition=models.Q(("decision__in", ["", "keep"])),
                name="paper_duplicate_decision_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="paperduplicate",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("decision", ""), ("decided_at__isnull", False), _connector="OR"
                ),
                name="paper_duplicate_decided_has_time",
            ),
        ),
    ]
