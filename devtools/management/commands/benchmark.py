"""``manage.py benchmark <name> [options]``: run one benchmark of devtools.benchmarks and
print its figures as JSON (progress on stderr). Use PostgreSQL (DATABASE_URL)."""

import json

from django.core.management.base import BaseCommand

from devtools.benchmarks import BENCHMARKS, load


class Command(BaseCommand):
    help = (
        "Time a PerfHub code path on a throwaway organization (deleted afterwards) and print "
        "the figures as JSON. Run it against PostgreSQL."
    )

    def add_arguments(self, parser):
        benchmarks = parser.add_subparsers(dest="benchmark", required=True, metavar="benchmark")
        for name in BENCHMARKS:
            module = load(name)
            module.add_arguments(benchmarks.add_parser(name, help=module.HELP))

    def handle(self, *args, benchmark, **options):
        def log(message: str) -> None:
            if options["verbosity"] > 0:
                self.stderr.write(message)

        figures = load(benchmark).run(log=log, **options)
        self.stdout.write(json.dumps(figures))
