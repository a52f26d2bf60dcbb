"""The back office (``/organise/``). At this level, what every area shares: roles, access,
the second-factor middleware, navigation, models, ``tasks``, and its own pages in ``views``
(dashboard, audit trail, the admin's login). One package per area, each with its ``forms``,
``selectors``, ``views``, ``urls``: ``review`` (queues, signatories, moderation), ``transfer``
(CSV import as parse/apply/job; export), ``privacy``, ``safeguards`` (abuse), ``updates``."""
