"""A browser's user-agent string in words, for the sessions page ("Chrome on
Windows"): a few ordered patterns, not a full parser. Order matters: Edge and
Opera say "Chrome" too, Chrome says "Safari", and iPads and iPhones say
"Mac OS X"."""

from __future__ import annotations

import re

_BROWSERS = (
    ("Edge", r"Edg(e|A|iOS)?/"),
    ("Opera", r"OPR/|Opera"),
    ("Samsung Internet", r"SamsungBrowser/"),
    ("Firefox", r"Firefox/|FxiOS/"),
    ("Chrome", r"Chrome/|CriOS/|Chromium/"),
    ("Safari", r"Safari/"),
    ("Internet Explorer", r"MSIE |Trident/"),
)
_SYSTEMS = (
    ("iPhone", r"iPhone"),
    ("iPad", r"iPad"),
    ("Android", r"Android"),
    ("ChromeOS", r"CrOS"),
    ("Windows", r"Windows"),
    ("Mac", r"Macintosh|Mac OS X"),
    ("Linux", r"Linux|X11"),
)


def user_agent_words(user_agent: str) -> str:
    """ "Chrome on Windows", "Safari on iPhone"; "Unknown browser" when it
    says nothing we recognise."""
    user_agent = user_agent or ""
    browser = next((name for name, p in _BROWSERS if re.search(p, user_agent)), "")
    system = next((name for name, p in _SYSTEMS if re.search(p, user_agent)), "")
    if browser and system:
        return f"{browser} on {system}"
    if browser:
        return browser
    if system:
        return f"A browser on {system}"
    return "Unknown browser"
