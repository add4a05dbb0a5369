"""What the command says around its numbers, in each language it speaks (en, zh).

The engine's own words (explanations, diagnoses, kinks) are `autograd.words`; these are the
command's: how a check is reported, where a drawing went. Names, formulas and numbers are filled
in, never translated. The language is ``--lang``, else the locale's (LC_ALL, LC_MESSAGES, LANG,
the first one set): zh_* speaks Chinese, anything else English.

>>> phrases("zh")["agrees"].format(yours="2", engine="2")
'= 2，与引擎的 2 一致'
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping

__all__ = ["LANGUAGES", "PHRASES", "default_language", "phrases"]

_EN = {
    "at": "at {point}",
    "yours": "Your {partial} = {formula}",
    "agrees": "= {yours}, which agrees with the engine's {engine}",
    "agrees_digits": "= {yours}, which agrees with the engine's {engine} to the {digits} you "
                     "gave",
    "disagrees": "= {yours}, which DISAGREES with the engine's {engine} (off by {difference})",
    "disagrees_digits": "= {yours}, which DISAGREES with the engine's {engine} (rounded to "
                        "the {digits} you gave it is {rounded})",
    "digit": "{n} digit",
    "digits": "{n} digits",
    "agrees_nearby": "and agrees at {count} random point{s} near it too",
    "nearby_s": "s",
    "disagrees_nearby": "Checked here and at {count} random point{s} near it: {failed} of "
                        "{points} disagree; the worst, at {where}:",
    "disagrees_here_too": "Checked here and at {count} random point{s} near it: {failed} of "
                          "{points} disagree",
    "worst": "yours {yours}, the engine's {engine} (off by {difference})",
    "kink_agrees": "= {yours}: {note}; {which}, and agrees",
    "unexplained": "No single wrong factor or dropped path explains it; compare your factors "
                   "with the ones this command writes out:\n    {command}",
    "see_paths": "Every path and factor, written out: {command}",
    "program": "The program: forward and backward as straight-line Python (it needs only math):",
    "drawn": "The graph is drawn in {path}",
    "drawn_of": "The graph of {expression} is drawn in {path}",
    "page": "The step-by-step page is {path}: open it in a browser",
}

_ZH = {
    "at": "在 {point} 处",
    "yours": "你的 {partial} = {formula}",
    "agrees": "= {yours}，与引擎的 {engine} 一致",
    "agrees_digits": "= {yours}，按你给出的 {digits}，与引擎的 {engine} 一致",
    "disagrees": "= {yours}，与引擎的 {engine} 不一致（相差 {difference}）",
    "disagrees_digits": "= {yours}，与引擎的 {engine} 不一致（按你给出的 {digits}，"
                        "应为 {rounded}）",
    "digit": "{n} 位有效数字",
    "digits": "{n} 位有效数字",
    "agrees_nearby": "在附近 {count} 个随机点上也一致",
    "nearby_s": "",
    "disagrees_nearby": "在这里和附近 {count} 个随机点上检查：{points} 个点中有 {failed} 个不一致；"
                        "最差的一个在 {where}：",
    "disagrees_here_too": "在这里和附近 {count} 个随机点上检查：{points} 个点中有 {failed} "
                          "个不一致",
    "worst": "你的 {yours}，引擎的 {engine}（相差 {difference}）",
    "kink_agrees": "= {yours}：{note}；{which}，因此一致",
    "unexplained": "没有哪一个错误因子或漏掉的路径能单独解释它；请把你的各个因子与下面这条命令"
                   "写出的因子逐一对照：\n    {command}",
    "see_paths": "逐条写出每条路径和每个因子：{command}",
    "program": "程序：把前向和反向写成逐行的 Python（只需要 math）：",
    "drawn": "计算图已画在 {path}",
    "drawn_of": "{expression} 的计算图已画在 {path}",
    "page": "逐步演示页面是 {path}：用浏览器打开它",
}

#: Every language's phrases, by its code; each has the same keys.
PHRASES: dict[str, dict[str, str]] = {"en": _EN, "zh": _ZH}
#: The languages the command speaks.
LANGUAGES = tuple(PHRASES)


def phrases(lang: str) -> dict[str, str]:
    """The phrases of `lang` ('en' or 'zh')."""
    return PHRASES[lang]


def default_language(environ: Mapping[str, str] | None = None) -> str:
    """The locale's language where that is the convention: the first of LC_ALL, LC_MESSAGES
    and LANG that is set decides; zh_CN.UTF-8, zh_TW and the like speak Chinese."""
    env = os.environ if environ is None else environ
    for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(key, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def _language(value: str) -> str:
    """--lang's value; "auto" (the default) is the locale's language (see kuibu.phrases)."""
    return default_language() if value == "auto" else value


def language_option(p: argparse.ArgumentParser) -> None:
    """--lang en|zh, the default read from the locale when the command runs."""
    p.add_argument("--lang", type=_language, choices=LANGUAGES, default="auto",
                   metavar="{en,zh}",
                   help="the language of sentences and headings: en (English) or zh (中文); "
                   "numbers and formulas are the same (default: zh when the locale, LC_ALL, "
                   "LC_MESSAGES or LANG, is zh_*, else en)")
