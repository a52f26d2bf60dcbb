"""Updates to signatories: written by organisers in English and French, sent through the
email outbox to everyone who consented, and optionally published as public news pages."""
