"""``{% cache %}`` that fails open: ``{% load fail_open_cache %}`` instead of ``{% load cache %}``.

Django's fragment cache raises when its cache cannot be reached, so a Redis outage turned
every page carrying the sign form (its country select is a cached fragment) into a 500, and
nobody could sign. This one renders the fragment instead, as if the cache had missed.
"""

from __future__ import annotations

import logging

from django import template
from django.templatetags.cache import CacheNode, do_cache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
register = template.Library()


class FailOpenCacheNode(CacheNode):
    def render(self, context) -> str:
        try:
            return super().render(context)
        except RedisError:
            logger.warning("Fragment cache unavailable: %s rendered", self.fragment_name)
            return self.nodelist.render(context)


@register.tag("cache")
def fail_open_cache(parser, token) -> FailOpenCacheNode:
    node = do_cache(parser, token)
    return FailOpenCacheNode(
        node.nodelist, node.expire_time_var, node.fragment_name, node.vary_on, node.cache_name
    )
