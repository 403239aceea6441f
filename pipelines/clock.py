"""Times written for a person, in two shapes from one rule. ``clock``: as a player shows a
moment (m:ss, h:mm:ss from an hour on), for citations, chapters, cards and the clip builder.
``timestamp``: fixed width (HH:MM:SS), for lines that stand in a column or a file (a text
transcript, the command line's hits, WebVTT cues). The rule for both: whole seconds are
truncated, as a player's clock is (a cue shown at 8.97 s is in second 8); asked for
``decimals``, the time is rounded to them (8.97 s to a tenth is 9.0)."""

from __future__ import annotations


def _fields(seconds: float, decimals: int) -> tuple[int, int, int, int]:
    """(hours, minutes, seconds, the fraction in units of 10**-decimals) of ``seconds``."""
    scale = 10**decimals
    units = round(max(0.0, seconds) * scale) if decimals else int(max(0.0, seconds))
    whole, fraction = divmod(units, scale)
    hours, rest = divmod(whole, 3600)
    return hours, rest // 60, rest % 60, fraction


def clock(seconds: float, *, decimals: int = 0, padded: bool = False) -> str:
    """m:ss, or h:mm:ss from an hour on (``padded``: the first field two digits, 03:07, as
    the web page's cards and file names show it). With ``decimals``, the fraction of a second
    follows when there is one, without zeros at its end (4.5 s to hundredths is 0:04.5)."""
    hours, minutes, secs, fraction = _fields(seconds, decimals)
    second = f"{secs:02d}"
    if fraction:
        second += f".{fraction:0{decimals}d}".rstrip("0")
    first, rest = (hours, f"{minutes:02d}:{second}") if hours else (minutes, second)
    return f"{first:02d}:{rest}" if padded else f"{first}:{rest}"


def timestamp(seconds: float, *, decimals: int = 0) -> str:
    """HH:MM:SS, with ``decimals`` digits of the second after it when asked (HH:MM:SS.t)."""
    hours, minutes, secs, fraction = _fields(seconds, decimals)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}" + (
        f".{fraction:0{decimals}d}" if decimals else ""
    )
