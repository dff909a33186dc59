"""Every write in the assurance app, by sub-domain: `toolkit` (toolkit
versions and reporting periods), `register` (the posts register), `returns`
(drafting a quarterly return) and `submissions` (signing it off and the
regional review)."""
