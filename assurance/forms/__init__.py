"""The assurance app's forms, by sub-domain: `toolkit` and `register`."""
