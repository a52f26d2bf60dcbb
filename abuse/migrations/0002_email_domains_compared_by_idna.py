# Email domains were case-folded, so "faß.example" became "fass.example", another domain
# (issue 15). They are now compared as IDNA compares them (campaign.emailkeys). Recompute the
# stored compared forms of the addresses that are not plain ASCII, the only ones that change:
# the supporters' keys (written here, above signatures, so that the signatures app's own
# migrations stay a line), the screening's domains and canonical addresses, and the block and
# allow lists' entries. A key or an entry already taken (one domain typed once in Unicode, once
# as "xn--") is left as it was.

from django.db import migrations


def supporter_keys(apps):
    from campaign.emailkeys import email_key

    Supporter = apps.get_model("signatures", "Supporter")
    rows = Supporter.objects.values_list("pk", "email", "email_key")
    for pk, email, key in rows.iterator():
        if email.isascii() or key.startswith("erased:"):
            continue
        new_key = email_key(email)
        if new_key != key and not Supporter.objects.filter(email_key=new_key).exists():
            Supporter.objects.filter(pk=pk).update(email_key=new_key)


def contexts(apps):
    from campaign.emailkeys import canonical_email, email_domain

    SigningContext = apps.get_model("abuse", "SigningContext")
    rows = SigningContext.objects.values_list("pk", "signature__supporter__email")
    for pk, email in rows.iterator():
        if email.isascii():
            continue
        SigningContext.objects.filter(pk=pk).update(
            email_domain=email_domain(email), canonical_email=canonical_email(email)
        )


def list_entries(apps):
    from campaign.emailkeys import canonical_domain, canonical_email

    ListEntry = apps.get_model("abuse", "ListEntry")
    for entry in ListEntry.objects.filter(kind__in=["domain", "email"]):
        if entry.value.isascii():
            continue
        value = (canonical_domain if entry.kind == "domain" else canonical_email)(entry.value)
        if not ListEntry.objects.filter(kind=entry.kind, value=value).exists():
            ListEntry.objects.filter(pk=entry.pk).update(value=value)


def recompute(apps, schema_editor):
    supporter_keys(apps)
    contexts(apps)
    list_entries(apps)


class Migration(migrations.Migration):

    dependencies = [
        ("abuse", "0001_initial"),
        ("signatures", "0005_auditevent_moves_to_campaign"),
    ]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
