"""A `console://` apprise channel: alerts printed to standard output, for the demo and for debugging."""

from __future__ import annotations

import sys

from apprise.decorators import notify


@notify(on="console", name="brandmon console")
def _print_alert(body: str, title: str, notify_type: str, *args, **kwargs) -> bool:
    bar = "━" * 40
    sys.stdout.write(f"\n{bar}\n{title}\n{bar}\n{body}\n{bar}\n")
    sys.stdout.flush()
    return True
