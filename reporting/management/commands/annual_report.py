"""`manage.py annual_report YEAR [--region CODE] --pdf PATH [--date YYYY-MM-DD]`: compute the
year's figures (the whole rollup, in this process) and write the national
report's PDF, or a region's, for scripted use. Publishing (a frozen,
checksummed version in the archive) is done from the report's page."""

from __future__ import annotations

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assurance.models.periods import financial_year_label
from organisations.models import Organisation, OrganisationKind
from reporting.pdf import report_pdf
from reporting.rollup import year_figures_write
from reporting.selectors import report_years


class Command(BaseCommand):
    help = "Compute a year's report figures and write the national (or a region's) report as PDF."

    def add_arguments(self, parser):
        parser.add_argument(
            "year", type=int, help="The financial year's first calendar year: 2025 for 2025/26."
        )
        parser.add_argument("--region", help="A region's code (Y56 for London): its report.")
        parser.add_argument("--pdf", required=True, type=Path, help="Where to write the PDF.")
        parser.add_argument(
            "--date",
            help="The date on the cover and in the PDF's metadata, as YYYY-MM-DD "
            "(default today): the same data and date give the same file.",
        )

    def handle(self, *args, year: int, region: str | None, pdf: Path, date: str | None, **options):
        as_of = None
        if date:
            try:
                as_of = datetime.date.fromisoformat(date)
            except ValueError:
                raise CommandError(
                    f"--date {date} is not a date: give it as YYYY-MM-DD, 2026-06-30 say."
                ) from None
        if year not in report_years():
            known = ", ".join(str(y) for y in sorted(report_years())) or "none"
            raise CommandError(
                f"No reporting periods in {year}: give the first year of a financial year "
                f"that has them ({known})."
            )
        area = None
        if region:
            area = Organisation.objects.filter(code=region, kind=OrganisationKind.REGION).first()
            if area is None:
                codes = ", ".join(
                    Organisation.objects.filter(kind=OrganisationKind.REGION)
                    .order_by("code")
                    .values_list("code", flat=True)
                )
                raise CommandError(f"{region} is not a region's code: give one of {codes}.")
        if not pdf.parent.is_dir():
            raise CommandError(f"The folder {pdf.parent} does not exist: create it first.")
        figures = year_figures_write(financial_year=year)
        self.stdout.write(f"Computed {figures} figures for {financial_year_label(year)}.")
        rendered = report_pdf(financial_year=year, region=area, as_of=as_of)
        pdf.write_bytes(rendered.content)
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {pdf}: {rendered.pages} pages, {len(rendered.content):,} bytes."
            )
        )
