"""Chinese labels draw as glyphs, not as missing-glyph boxes.

The check is differential: the same DOT source is rendered twice by `dot`, once with the machine's
fonts and once with every font that covers Chinese hidden from fontconfig. Latin labels must come
out the same both times (the control), Chinese labels must not: so the Chinese glyphs of the first
rendering were drawn from a CJK font, which the second could only replace by boxes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from autograd import Value
from viz import draw_dot

pytestmark = pytest.mark.needs_dot


def _cjk_font_files() -> list[str]:
    if shutil.which("fc-list") is None:
        pytest.skip("fontconfig's fc-list is not installed")
    listed = subprocess.run(
        ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=False
    ).stdout
    files = sorted({line.split(":")[0].strip() for line in listed.splitlines() if line.strip()})
    if not files:
        pytest.skip("no font covering Chinese is installed (Debian: fonts-noto-cjk)")
    return files


def _without_cjk_config(tmp: Path, files: list[str]) -> Path:
    """A fontconfig file: the system's configuration, less every font that covers Chinese."""
    rejects = "".join(f"<glob>{f}</glob>" for f in files)
    conf = tmp / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        "<include ignore_missing=\"yes\">/etc/fonts/fonts.conf</include>"
        f"<selectfont><rejectfont>{rejects}</rejectfont></selectfont>"
        f"<cachedir>{tmp / 'cache'}</cachedir></fontconfig>",
        encoding="utf-8",
    )
    return conf


def _png(source: str, env: dict[str, str] | None = None) -> bytes:
    dot = shutil.which("dot")
    if dot is None:
        pytest.skip("Graphviz's dot is not installed")
    done = subprocess.run(
        [dot, "-Tpng"], input=source.encode("utf-8"), capture_output=True, env=env,
        check=False, timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    return done.stdout


def _graph(names: tuple[str, str, str]) -> str:
    x, w = Value(2.0, label=names[0]), Value(0.5, label=names[1])
    y = x * w
    y.label = names[2]
    y.backward()
    return draw_dot(y).source


def test_chinese_labels_are_drawn_with_a_cjk_font(tmp_path: Path) -> None:
    conf = _without_cjk_config(tmp_path, _cjk_font_files())
    hidden = {**os.environ, "FONTCONFIG_FILE": str(conf)}

    latin = _graph(("input", "weight", "output"))
    assert _png(latin) == _png(latin, hidden), "the control: Latin text must not change"

    chinese = _graph(("输入", "权重", "输出"))
    assert "输入" in chinese and "权重" in chinese and "输出" in chinese
    assert _png(chinese) != _png(chinese, hidden), (
        "Chinese labels rendered the same with and without CJK fonts: they are not drawn as glyphs"
    )


def test_chinese_captions_are_drawn_with_a_cjk_font(tmp_path: Path) -> None:
    conf = _without_cjk_config(tmp_path, _cjk_font_files())
    hidden = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    w, x = Value(0.5, label="w"), Value(2.0, label="x")
    y = w * x
    y.label = "y"
    y.backward()
    english = draw_dot(y).source  # a weight: a model's roles, and their legend
    assert ">parameter<" in english and ">input<" in english
    assert _png(english) == _png(english, hidden), "the control: an English legend"
    chinese = draw_dot(y, lang="zh").source  # Chinese only in the legend
    assert ">参数<" in chinese and ">输入<" in chinese
    assert _png(chinese) != _png(chinese, hidden), "the legend's Chinese is not drawn as glyphs"
