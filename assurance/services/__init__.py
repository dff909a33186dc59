"""Every write in the assurance app, by sub-domain: `toolkit` (toolkit
versions and reporting periods) and `register` (the posts register)."""
