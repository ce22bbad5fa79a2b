"""PNG charts (matplotlib, Agg) with a CJK font when the machine has one, and ASCII labels when it has none.

Margins are set from the labels' lengths instead of by matplotlib's layout engine: measuring every text
twice was half the time of a chart, and a weekly report for 20 brands draws 40 of them."""

from __future__ import annotations

import functools
import io
import logging
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")
from matplotlib import font_manager  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from monitor.report.data import BrandFigures  # noqa: E402

log = logging.getLogger(__name__)

COLOURS = {"negative": "#d9534f", "neutral": "#9e9e9e", "positive": "#5cb85c"}
LABELS_ZH = {"negative": "负面", "neutral": "中性", "positive": "正面", "volume": "声量", "share": "声量占比"}
LABELS_EN = {"negative": "negative", "neutral": "neutral", "positive": "positive", "volume": "volume",
             "share": "share of voice"}


PACKAGED_FONT = "NotoSansCJKsc-Regular.otf"  # shipped by the mplfonts wheel, a project dependency


def _packaged_font() -> str | None:
    """The CJK font that installs with the project (mplfonts), so charts speak Chinese on a fresh machine."""
    try:
        import mplfonts
    except ImportError:
        return None
    path = Path(mplfonts.__file__).parent / "fonts" / PACKAGED_FONT
    if not path.is_file():
        return None
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


@functools.cache
def cjk_font() -> str | None:
    """The family name of a font that covers Chinese: the packaged one, else an installed one
    (fontconfig's `fc-list :lang=zh`), else None."""
    packaged = _packaged_font()
    if packaged:
        return packaged
    if shutil.which("fc-list") is None:
        return None
    try:
        listing = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in sorted(listing.splitlines()):
        path = line.split(":")[0].strip()
        if not path:
            continue
        try:
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
        except (OSError, RuntimeError, ValueError):
            continue
    log.warning("no CJK font found (install fonts-wqy-microhei or fonts-noto-cjk); charts use ASCII labels")
    return None


@dataclass(frozen=True)
class Labeller:
    """Chinese labels with a CJK font; otherwise English words and B1, B2… for names the font cannot draw."""

    font: str | None
    names: tuple[str, ...]

    @property
    def words(self) -> dict[str, str]:
        return LABELS_ZH if self.font else LABELS_EN

    def name(self, text: str) -> str:
        if self.font or text.isascii():
            return text
        return f"B{self.names.index(text) + 1}" if text in self.names else "?"

    def legend(self) -> dict[str, str]:
        """What the ASCII stand-ins mean, for the text beside the charts."""
        return {} if self.font else {self.name(n): n for n in self.names if not n.isascii()}


def labeller_for(names: list[str], font: str | None = None) -> Labeller:
    return Labeller(font, tuple(dict.fromkeys(names)))


WIDTH, DPI = 7.5, 100


def text_width(text: str, size: float = 10) -> float:
    """About how many pixels `text` takes at `size` points and DPI: CJK characters are square, Latin ones
    about 0.6 of that (a slight overestimate keeps labels inside the picture)."""
    return sum(1.05 * size if ord(c) > 0x2E80 else 0.62 * size for c in text) * DPI / 72


def _context(labels: Labeller):
    """Text properties are fixed when text is created: charts are built and drawn inside this."""
    family = [labels.font, "DejaVu Sans"] if labels.font else ["DejaVu Sans"]
    return matplotlib.rc_context({"font.family": family, "axes.unicode_minus": False})


class Charts:
    """A report's charts. Every brand's chart of one shape (the period's buckets; the number of bars) is
    drawn on one kept figure whose bars, texts and scale are updated: building a figure was half the
    time of a chart, and a weekly report for 20 brands draws 40. Text properties are fixed when text is
    created, so everything is drawn inside the font context."""

    def __init__(self, labels: Labeller) -> None:
        self.labels = labels
        self._volume: dict[tuple[str, ...], tuple] = {}
        self._bars: dict[tuple, tuple] = {}

    def volume(self, brand: BrandFigures, hourly: bool, zone: ZoneInfo) -> bytes:
        """Mentions per hour or day, stacked by sentiment."""
        labels = self.labels
        ticks = tuple(start.astimezone(zone).strftime("%H" if hourly else "%m-%d") for start, _ in brand.series)
        most = max((sum(counts.values()) for _, counts in brand.series), default=0)
        with _context(self.labels):
            if ticks not in self._volume:
                fig, ax = _figure(3.0)
                stacks = [ax.bar(range(len(ticks)), [0] * len(ticks), color=colour, label=labels.words[sentiment])
                          for sentiment, colour in COLOURS.items()]
                ax.set_xticks(range(len(ticks)), ticks, fontsize=7, rotation=0 if len(ticks) <= 10 else 90)
                title = ax.set_title(" ", loc="left", y=1.0)
                ax.legend(fontsize=8, ncols=3, loc="lower right", bbox_to_anchor=(1, 1), frameon=False,
                          borderaxespad=0.2)
                self._volume[ticks] = (fig, ax, stacks, title)
            fig, ax, stacks, title = self._volume[ticks]
            bottom = [0] * len(ticks)
            for sentiment, stack in zip(COLOURS, stacks):
                for i, (bar, (_, counts)) in enumerate(zip(stack, brand.series)):
                    bar.set_y(bottom[i])
                    bar.set_height(counts.get(sentiment, 0))
                    bottom[i] += counts.get(sentiment, 0)
            title.set_text(f"{labels.name(brand.name)} {labels.words['volume']}")
            _refit(ax)
            return _png(fig, 3.0, text_width(f"{most:,}", 10), text_width("00-00", 7))

    def bars(self, title_key: str, brand: str, pairs: list[tuple[str, int]], colour: str) -> bytes:
        """Horizontal bars with counts and shares (share of voice against the competitors), largest on top."""
        labels = self.labels
        total = sum(v for _, v in pairs) or 1
        names = [labels.name(n) for n, _ in pairs][::-1]
        values = [v for _, v in pairs][::-1]
        height = 0.4 * max(3, len(pairs)) + 1
        key = (len(pairs), colour)
        with _context(self.labels):
            if key not in self._bars:
                fig, ax = _figure(height)
                bars = ax.barh(range(len(pairs)), [0] * len(pairs), color=colour)
                texts = [ax.text(0, y, "", va="center", fontsize=8) for y in range(len(pairs))]
                ax.margins(x=0.25)
                self._bars[key] = (fig, ax, bars, texts, ax.set_title(" ", y=1.0))
            fig, ax, bars, texts, title = self._bars[key]
            for bar, text, y, v in zip(bars, texts, range(len(values)), values):
                bar.set_width(v)
                text.set_position((v, y))
                text.set_text(f" {v} ({v / total:.0%})")
            ax.set_yticks(range(len(names)), names)
            title.set_text(f"{labels.name(brand)} {labels.words[title_key]}")
            _refit(ax)
            return _png(fig, height, max((text_width(n) for n in names), default=0), text_width("0000", 10) / 2)


def _figure(height: float) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(WIDTH, height), dpi=DPI)
    return fig, fig.add_subplot()


def _render(labels: Labeller, draw: Callable[[Axes], None], height: float = 3.0, left_px: float = 40,
            bottom_px: float = 30) -> bytes:
    """A one-off chart (a post-mortem's) drawn by `draw` on a figure of its own."""
    with _context(labels):
        fig, ax = _figure(height)
        draw(ax)
        return _png(fig, height, left_px, bottom_px)


def _refit(ax: Axes) -> Axes:
    """A kept figure's scale fitted to the bars it now holds."""
    ax.relim()
    ax.autoscale_view()
    return ax


def _png(fig: Figure, height: float, left_px: float, bottom_px: float) -> bytes:
    """The figure as PNG, its margins set from the labels' lengths."""
    fig.subplots_adjust(left=min(0.5, (left_px + 12) / (WIDTH * DPI)), right=0.97,
                        bottom=(bottom_px + 8) / (height * DPI), top=1 - 30 / (height * DPI))
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def volume_chart(brand: BrandFigures, hourly: bool, zone: ZoneInfo, labels: Labeller) -> bytes:
    """One volume chart on its own (a report draws them all with one `Charts`)."""
    return Charts(labels).volume(brand, hourly, zone)


def bar_chart(title_key: str, brand: str, pairs: list[tuple[str, int]], labels: Labeller, colour: str) -> bytes:
    """One bar chart on its own (a report draws them all with one `Charts`)."""
    return Charts(labels).bars(title_key, brand, pairs, colour)
