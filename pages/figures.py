"""What the stats page and the home page show of the figures: charts (``charts``) and the
tables beside them, built from ``stats`` in the active language and cached as HTML under the
campaign's count version (see ``stats.remember``)."""

from __future__ import annotations

import datetime

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format, number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from campaign.models import Campaign
from signatures import stats

from . import charts

TOP_COUNTRIES = 10


def growth_chart(*, campaign: Campaign, compact: bool = False, compute: bool = True) -> SafeString:
    """The growth chart with its table; empty before the first counted signature.

    With ``compute=False`` (the home page, which must run no aggregate) it is drawn only from
    figures already in the cache, if need be the latest computed, one count or a few old; and
    is empty when there are none yet.
    """
    if compute:
        days = stats.cached_growth(campaign=campaign)
    else:
        days = stats.known_growth(campaign=campaign)
        if days is None:
            return mark_safe("")
    html = stats.remember(
        "growth-chart",
        campaign=campaign,
        parts=(translation.get_language(), "compact" if compact else "full"),
        build=lambda: render_to_string(
            "includes/growth_chart.html", growth_context(days, compact=compact)
        ),
    )
    return mark_safe(html)  # noqa: S308 - rendered from our own template


def stats_page(*, campaign: Campaign, sort: str) -> SafeString:
    """Every figure of the stats page, the countries table in the order ``sort`` names."""
    html = stats.remember(
        "page",
        campaign=campaign,
        parts=(translation.get_language(), sort),
        build=lambda: render_to_string(
            "includes/stats_figures.html", page_context(campaign=campaign, sort=sort)
        ),
    )
    return mark_safe(html)  # noqa: S308 - rendered from our own template


def percent(part: int, total: int) -> str:
    """``part`` as a share of ``total``, one decimal, written the active language's way."""
    value = round(part * 100 / total, 1) if total else 0
    return gettext("%(percent)s%%") % {"percent": number_format(value, decimal_pos=1)}


def _long_date(day: datetime.date) -> str:
    return date_format(day, "DATE_FORMAT")


def growth_context(days: list[stats.Day], *, compact: bool = False) -> dict:
    context = {"days": days, "compact": compact, "chart_id": "growth-mini" if compact else "growth"}
    if not days:
        return context
    first, last = days[0], days[-1]
    same_year = first.day.year == last.day.year
    points = [
        charts.Point(
            d.day,
            d.total,
            label=ngettext(
                "%(date)s: %(total)s signature in all",
                "%(date)s: %(total)s signatures in all",
                d.total,
            )
            % {"date": _long_date(d.day), "total": charts.format_count(d.total)},
        )
        for d in days
    ]
    if first.day == last.day:
        description = ngettext(
            "On %(date)s, %(total)s signature was counted.",
            "On %(date)s, %(total)s signatures were counted.",
            last.total,
        ) % {"date": _long_date(last.day), "total": charts.format_count(last.total)}
    else:
        description = gettext(
            "Confirmed signatures in all, day by day: from %(first)s on %(start)s to "
            "%(last)s on %(end)s."
        ) % {
            "first": charts.format_count(first.total),
            "start": _long_date(first.day),
            "last": charts.format_count(last.total),
            "end": _long_date(last.day),
        }
    context["chart"] = charts.line_chart(
        points,
        chart_id=context["chart_id"],
        title=gettext("Signatures over time"),
        description=description,
        axis_label=lambda day: date_format(day, "MONTH_DAY_FORMAT" if same_year else "DATE_FORMAT"),
        compact=compact,
    )
    return context


def _rows(shares: list[stats.Share], total: int) -> list[dict]:
    return [
        {"code": s.code, "label": s.label, "count": s.count, "percent": percent(s.count, total)}
        for s in shares
    ]


def page_context(*, campaign: Campaign, sort: str) -> dict:
    breakdown = stats.cached_breakdown(campaign=campaign)
    total = breakdown.total
    fields = breakdown.fields()
    by_country = breakdown.countries()
    top = by_country[:TOP_COUNTRIES]
    context = {
        "campaign": campaign,
        "total": total,
        "verified": breakdown.verified,
        "unverified": total - breakdown.verified,
        "growth": growth_context(stats.cached_growth(campaign=campaign)),
        "field_rows": _rows(fields, total),
        "country_rows": _rows(breakdown.countries(sort), total),
        "country_total": len(by_country),
        "sort": sort,
    }
    if not total:
        return context
    context["field_chart"] = charts.bar_chart(
        [charts.Bar(s.label, s.count) for s in fields],
        chart_id="fields",
        title=gettext("Signatures by field of work"),
        description=gettext(
            "One bar for each field of work, the largest first. The table beside it gives the "
            "same figures."
        ),
    )
    context["country_chart"] = charts.bar_chart(
        [charts.Bar(s.label, s.count) for s in top],
        chart_id="countries",
        title=gettext("Countries with the most signatures"),
        description=gettext(
            "One bar for each country, the largest first. The table that follows lists every "
            "country."
        ),
    )
    context["verified_chart"] = _verified_chart(breakdown.verified, total)
    context["verified_percent"] = percent(breakdown.verified, total)
    context["unverified_percent"] = percent(total - breakdown.verified, total)
    return context


def _verified_chart(verified: int, total: int) -> SafeString:
    values = {
        "verified": charts.format_count(verified),
        "unverified": charts.format_count(total - verified),
        "total": charts.format_count(total),
        "verified_percent": percent(verified, total),
        "unverified_percent": percent(total - verified, total),
    }
    return charts.proportion_bar(
        verified,
        total,
        chart_id="verified",
        title=gettext("Share of verified artists"),
        description=gettext(
            "%(verified_percent)s of the signatories are verified artists: %(verified)s of "
            "%(total)s."
        )
        % values,
        part_label=gettext("Verified artists: %(verified)s (%(verified_percent)s)") % values,
        rest_label=gettext("Not verified: %(unverified)s (%(unverified_percent)s)") % values,
    )
