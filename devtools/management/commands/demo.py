from django.core.management.base import BaseCommand

from devtools.demo import DEMO_PASSWORD, DEMO_SLUG, DEMO_USERS, load_demo
from perfhub.names import person_name


class Command(BaseCommand):
    help = "Load (or complete) the demo organization. Safe to run again."

    def handle(self, *args, **options):
        org = load_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo organization '{org.name}' at /o/{DEMO_SLUG}/"))
        for username, role, _email, given, family in DEMO_USERS:
            name = person_name(given, family)
            self.stdout.write(f"  {username:<13} {role:<10} {name:<14} password: {DEMO_PASSWORD}")
