from django.core.management.base import BaseCommand

from devtools.demo import DEMO_PASSWORD, DEMO_SLUG, DEMO_USERS, load_demo


class Command(BaseCommand):
    help = "Load (or complete) the demo organization. Safe to run again."

    def handle(self, *args, **options):
        org = load_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo organization '{org.name}' at /o/{DEMO_SLUG}/"))
        for username, role, _email in DEMO_USERS:
            self.stdout.write(f"  {username:<10} {role:<10} password: {DEMO_PASSWORD}")
