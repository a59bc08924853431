"""Fonts for every script in a figure: labels in Chinese, Arabic, Hindi... render with a font that has them.

matplotlib draws each character with the first font of a text's family list that has its glyph (font fallback,
matplotlib >= 3.6). Its default, DejaVu Sans, has Latin, Greek, Cyrillic and Arabic but no Chinese, Japanese or
Korean, so `use_fonts_for(fig)` looks, once per missing character, for installed fonts whose character map has
it (including fonts installed after matplotlib built its font cache) and gives every text of the figure the list
[default, fallbacks...]. When no installed font has a character, one line on stderr says which package to
install, once per script, and matplotlib's per-glyph warnings are silenced (the glyphs show as boxes).
"""
import contextlib
import functools
import sys
import unicodedata
import warnings

# the first word of a character's Unicode name -> the Debian/Ubuntu package with a font for it
PACKAGES = {"CJK": "fonts-noto-cjk", "HANGUL": "fonts-noto-cjk", "HIRAGANA": "fonts-noto-cjk",
            "KATAKANA": "fonts-noto-cjk", "IDEOGRAPHIC": "fonts-noto-cjk", "FULLWIDTH": "fonts-noto-cjk",
            "HALFWIDTH": "fonts-noto-cjk"}
SKIP_FAMILIES = ("Last Resort",)   # its "glyphs" are boxes naming the block, not letters
_reported = set()


@functools.lru_cache(maxsize=None)
def _charmap(path):
    """The code points a font file has glyphs for (empty if it cannot be read)."""
    from matplotlib.ft2font import FT2Font
    try:
        return frozenset(FT2Font(path).get_charmap())
    except (OSError, RuntimeError, ValueError):
        return frozenset()


@functools.lru_cache(maxsize=None)
def _family_files(scan_system=False):
    """((family, file), ...) of the installed fonts, one regular face per family where there is one; scan_system
    adds fonts installed since matplotlib built its font cache (done at most once per process)."""
    from matplotlib import font_manager
    manager = font_manager.fontManager
    if scan_system:
        known = {entry.fname for entry in manager.ttflist}
        for path in font_manager.findSystemFonts():
            if path not in known:
                try:
                    manager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    pass
    files = {}
    for entry in sorted(manager.ttflist, key=lambda e: (e.style != "normal", abs(_weight(e.weight) - 400))):
        if not entry.name.startswith(SKIP_FAMILIES):
            files.setdefault(entry.name, entry.fname)        # the most regular face of each family comes first
    return tuple(files.items())


def _weight(weight):
    from matplotlib import font_manager
    return weight if isinstance(weight, int) else font_manager.weight_dict.get(weight, 400)


def default_font_file():
    from matplotlib import font_manager
    return font_manager.findfont(font_manager.FontProperties())


@functools.lru_cache(maxsize=256)
def families_for(text):
    """(families, missing): the font family list that draws `text` (None when the default font has every
    character) and the characters no installed font has."""
    from matplotlib import font_manager, rcParams
    needed = {ch for ch in set(text) if not ch.isspace() and unicodedata.category(ch)[0] != "C"}
    missing = sorted(ch for ch in needed if ord(ch) not in _charmap(default_font_file()))
    if not missing:
        return None, ()
    default = font_manager.FontProperties().get_family()
    default = [rcParams[f"font.{default[0]}"][0]] if default[0] in ("sans-serif", "serif", "monospace") else default
    chosen = []
    for scan in (False, True):                        # installed fonts matplotlib knows, then the whole system
        for family, path in _family_files(scan):
            covered = [ch for ch in missing if ord(ch) in _charmap(path)]
            if covered and family not in chosen:
                chosen.append(family)
                missing = [ch for ch in missing if ch not in covered]
            if not missing:
                break
        if not missing:
            break
    return (tuple([*default, *chosen]) if chosen else None), tuple(missing)


def report_missing(missing, stream=None):
    """One line per script that no installed font has, the first time it is met in this process."""
    scripts = {}
    for ch in missing:
        script = unicodedata.name(ch, "UNKNOWN").split()[0]
        scripts.setdefault(script, []).append(ch)
    for script, chars in scripts.items():
        if script in _reported:
            continue
        _reported.add(script)
        package = PACKAGES.get(script, "fonts-noto-core")
        name = "Chinese/Japanese/Korean" if package == "fonts-noto-cjk" else script.title()
        print(f"figures: no installed font has the {name} characters {''.join(chars[:8])!r}, so they show as boxes; "
              f"install one (Debian/Ubuntu: sudo apt install {package}; macOS and Windows ship one) and run again",
              file=stream or sys.stderr)


def use_fonts_for(fig):
    """Give every text of `fig` a family list that has its characters; returns the characters none has."""
    from matplotlib.text import Text
    texts = [t for t in fig.findobj(Text) if t.get_text()]
    families, missing = families_for("".join(t.get_text() for t in texts))
    if families:
        for t in texts:
            t.set_fontfamily(list(families))
    if missing:
        report_missing(missing)
    return missing


@contextlib.contextmanager
def quiet_glyph_warnings():
    """Drop matplotlib's 'Glyph N missing from font(s)' warnings inside the block (report_missing said it once)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from")
        yield
