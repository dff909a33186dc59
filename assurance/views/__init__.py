"""The assurance app's pages, by sub-domain: `toolkit` (toolkit versions and
reporting periods) and `register` (the posts register)."""
