"""``manage.py grant_role EMAIL ROLE``: give someone a back-office role (or take it away).

How the first organiser gets in: there are no passwords on this site, so run this, then log
in at /organise/ with the emailed code and set up an authenticator app when asked.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from organise.roles import Role
from organise.staff import grant_role, revoke_roles

CHOICES = [role.value for role in Role] + ["superuser"]


class Command(BaseCommand):
    help = "Give a person a back-office role (Organiser, Moderator, Viewer or superuser)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument("role", nargs="?", choices=CHOICES)
        parser.add_argument(
            "--revoke", action="store_true", help="Take every back-office role away instead."
        )

    def handle(self, *args, email: str, role: str | None, revoke: bool, **options) -> None:
        if revoke:
            if not revoke_roles(email=email):
                raise CommandError(f"No account for {email}.")
            self.stdout.write(f"{email} no longer has a back-office role.")
            return
        if role is None:
            raise CommandError("Name a role: " + ", ".join(CHOICES) + " (or --revoke).")
        try:
            user, created = grant_role(email=email, role=role)
        except ValidationError as invalid:
            raise CommandError(f"{email!r} is not a valid email address.") from invalid
        made = "Created the account of" if created else "Updated"
        self.stdout.write(
            f"{made} {user.email}: {role}. They log in at /organise/ with the emailed code, "
            "then set up an authenticator app."
        )
