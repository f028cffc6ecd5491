"""Marking: a typed answer or a chosen option against the engine's answer, the answer as
revealed, and the check of a whole course's answer key (every answer computes, every check
parses, every 'Try it' target exists)."""

from __future__ import annotations

import math
import re
from typing import Any

from ..stacks.shapes import StackError
from .answer_expressions import ERRORS, ExpressionLimitError, evaluate, parse, reason
from .lesson_answers import CHECKS, LessonState, Verdict, check_task, compute
from .lessons import Exercise, Lesson, LessonError


def format_answer(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:.6g}"
    return str(value)


def parse_number(text: str) -> float | None:
    """'120,000,000', '1.2e8', '120 000 000', '1/16', '-3' -> a number (None if it is none)."""
    cleaned = re.sub(r"[\s,_']", "", text.strip())
    if not cleaned:
        return None
    if re.fullmatch(r"-?\d+(\.\d+)?/\d+(\.\d+)?", cleaned):
        top, bottom = cleaned.split("/")
        return float(top) / float(bottom) if float(bottom) else None
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _decimals(text: str) -> int:
    cleaned = re.sub(r"[\s,_']", "", text.strip())
    return len(cleaned.split(".", 1)[1]) if "." in cleaned and "e" not in cleaned.lower() else 0


_ARITHMETIC = re.compile(r"[\d.eE+\-*/%()]+")
"""What an answer typed as arithmetic may hold: digits, decimal points, exponents, operators
and brackets (no names: nothing but arithmetic is evaluated)."""


def typed_number(text: str) -> float | None:
    """A typed answer's value: a number as parse_number reads it, or arithmetic such as
    '5*5*3+1' worked out by the course's safe evaluator (with its limits on length, nesting
    and work); None when it is neither."""
    number = parse_number(text)
    if number is not None:
        return number
    cleaned = re.sub(r"[\s,_']", "", text.strip())
    if not _ARITHMETIC.fullmatch(cleaned):
        return None
    try:
        value = evaluate(parse(cleaned), {})
    except ERRORS:  # 1/0, 10**10**10, '(((' ...: not a number
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _numbers_match(response: str, given: float, value: float, tolerance: float) -> bool:
    if tolerance:
        return abs(given - value) <= tolerance * max(abs(value), 1e-12)
    if float(value).is_integer():
        return given == value
    # a float answer: right when it rounds to what was typed, and is within 2 %
    places = max(1, _decimals(response))
    return round(value, places) == round(given, places) and abs(given - value) <= 0.02 * abs(value)


def _shape_parts(text: str) -> tuple[int, ...] | None:
    parts = re.split(r"\s*[x×*,]\s*|\s+", text.strip().strip("()[]"))
    try:
        return tuple(int(p) for p in parts if p)
    except ValueError:
        return None


def mark(exercise: Exercise, response: str, lesson: Lesson | None = None) -> Verdict:
    """Mark a typed answer (number, shape) or a chosen option (choice: the option's number,
    1-based, or its text)."""
    if exercise.kind == "choice":
        return _mark_choice(exercise, response, lesson)
    if exercise.kind == "task":
        raise ValueError("tasks are checked against the app's state: use check_task")
    value = compute(exercise.answer, exercise, lesson)
    hint = f" Hint: {exercise.hint}" if exercise.hint else ""
    if exercise.kind == "shape":
        given, wanted = _shape_parts(response), _shape_parts(str(value))
        if given is None or not given:
            return Verdict(False, "type a shape such as 6x28x28")
        channels_last = wanted[1:] + wanted[:1] if wanted else wanted
        if given in (wanted, channels_last):
            return Verdict(True, f"right: {value} (channels x height x width)")
        return Verdict(False, f"not {response.strip()}.{hint}")
    return _mark_number(exercise, response, value, hint)


def _mark_number(exercise: Exercise, response: str, value: Any, hint: str) -> Verdict:
    typed = response.strip()
    given = typed_number(typed)
    if given is None:
        return Verdict(
            False, "type a number, or arithmetic such as 5*5*3+1 (1,200 and 1.2e8 are fine)"
        )
    plain = parse_number(typed) is not None
    said = typed if plain else f"{typed} = {format_answer(given)}"  # arithmetic, worked out
    whole = isinstance(value, int) and not isinstance(value, bool) and not exercise.tolerance
    if whole and not given.is_integer():
        return Verdict(False, f"{said} is not a whole number: the answer is one.{hint}")
    if _numbers_match(typed, given, float(value), exercise.tolerance):
        return Verdict(True, f"right: {format_answer(value)}" + ("" if plain else f" ({said})"))
    direction = "too high" if given > float(value) else "too low"
    return Verdict(False, f"{said} is {direction}.{hint}")


def correct_choice(exercise: Exercise, lesson: Lesson | None = None) -> int:
    """0-based index of the right option: the one the engine's answer names, else the [x]."""
    if exercise.answer:
        value = compute(exercise.answer, exercise, lesson)
        texts = [c.text.replace(",", "").strip() for c in exercise.choices]
        wanted = format_answer(value).replace(",", "")
        if wanted in texts:
            return texts.index(wanted)
        raise LessonError(
            f"the computed answer {format_answer(value)} is none of the choices",
            lesson.path if lesson else None,
            exercise.line,
        )
    return next(i for i, c in enumerate(exercise.choices) if c.marked)


def _mark_choice(exercise: Exercise, response: str, lesson: Lesson | None) -> Verdict:
    right = correct_choice(exercise, lesson)
    text = response.strip()
    index = None
    if text.isdigit() and 1 <= int(text) <= len(exercise.choices):
        index = int(text) - 1
    elif len(text) == 1 and text.isalpha() and ord(text.lower()) - 97 < len(exercise.choices):
        index = ord(text.lower()) - 97
    else:
        for i, choice in enumerate(exercise.choices):
            if choice.text.lower() == text.lower():
                index = i
    if index is None:
        return Verdict(False, f"pick one of the {len(exercise.choices)} options")
    if index == right:
        return Verdict(True, f"right: {exercise.choices[right].text}")
    hint = f" Hint: {exercise.hint}" if exercise.hint else ""
    return Verdict(False, f"not {exercise.choices[index].text}.{hint}")


def expected_text(exercise: Exercise, lesson: Lesson | None = None) -> str:
    """The answer as shown when the student asks to reveal it."""
    if exercise.kind == "choice":
        return exercise.choices[correct_choice(exercise, lesson)].text
    if exercise.kind == "task":
        return f"the app must pass: {exercise.check}"
    return format_answer(compute(exercise.answer, exercise, lesson))


def validate_course_answers(lessons: list[Lesson] | tuple[Lesson, ...]) -> list[LessonError]:
    """Compute every answer and parse every check; the problems found (none for a good course)."""
    problems: list[LessonError] = []
    for lesson in lessons:
        for exercise in lesson.exercises:
            try:
                if exercise.kind == "choice":
                    correct_choice(exercise, lesson)
                elif exercise.kind == "task":
                    parse(exercise.check)
                    name = exercise.check.split("(", 1)[0].strip()
                    if name not in CHECKS:
                        raise LessonError(
                            f"check {name}() is unknown: use one of {', '.join(CHECKS)}",
                            lesson.path,
                            exercise.line,
                        )
                    # run against an empty app: every argument is read, nothing is checked yet
                    check_task(exercise, LessonState(), lesson)
                else:
                    compute(exercise.answer, exercise, lesson)
            except LessonError as exc:
                problems.append(exc)
            except (SyntaxError, ExpressionLimitError) as exc:  # from parse() of a check
                problems.append(
                    LessonError(
                        f"check cannot be read: {reason(exc, None)}", lesson.path, exercise.line
                    )
                )
    return problems


CALCULATOR_TABS = ("size", "params", "field", "summary")
"""Targets of a '::: try calculators' block: the calculators screen's tabs."""


INSIDE_TARGETS = ("course",)
"""Targets of a '::: try inside' block: the course network (shipped weights)."""


def try_target_problem(screen: str, target: str) -> str | None:
    """Why a 'Try it' target cannot be opened (None when it can)."""
    if not target:
        return None
    if screen == "stepper":
        from ..convolution.backward_presets import BACKWARD_PRESETS
        from ..convolution.presets import PRESETS

        if target not in PRESETS and target not in BACKWARD_PRESETS:
            known = ", ".join([*PRESETS, *BACKWARD_PRESETS])
            return f"no stepper preset {target!r}: use one of {known}"
        return None
    if screen == "playground":
        from ..optim.scene import read_scene

        try:
            read_scene(target)
        except ValueError as exc:
            return f"playground target {target!r}: {exc}"
        return None
    if screen == "inside":
        if target not in INSIDE_TARGETS:
            return f"no inside target {target!r}: use one of {', '.join(INSIDE_TARGETS)}"
        return None
    if screen == "calculators":
        if target not in CALCULATOR_TABS:
            return f"no calculators tab {target!r}: use one of {', '.join(CALCULATOR_TABS)}"
        return None
    from ..stacks.zoo import resolve_stack

    try:
        resolve_stack(target)
    except StackError as exc:
        return f"{screen} target {target!r}: {exc}"
    return None


def validate_course(lessons: list[Lesson] | tuple[Lesson, ...]) -> list[LessonError]:
    """Every problem of a parsed course: answers that cannot be computed, checks that cannot
    run, and 'Try it' targets that do not exist."""
    problems = validate_course_answers(lessons)
    for lesson in lessons:
        for try_it in lesson.try_its:
            reason = try_target_problem(try_it.screen, try_it.target)
            if reason:
                problems.append(LessonError(reason, lesson.path, try_it.line))
    return sorted(problems, key=lambda p: (str(p.path), p.line or 0))
