"""Rich renderers the subcommands share: size formulas and the train results."""

from __future__ import annotations

from typing import Any

from ..core.plain_text import plural
from .common import _percent, _seconds, escape


def _print_formula(console, label: str, sizes) -> None:
    """The output-size formula; a ceil-mode drop goes on a line of its own, indented."""
    first, *rest = sizes.formula_lines
    console.print(f"[bold]{label}[/]  {first}")
    for line in rest:
        console.print(f"  {line}", markup=False)


def _graph_words(run: Any) -> str:
    """' (CUDA graph)', ' (eager: <why>)' on a CUDA GPU; '' elsewhere."""
    if run.cuda_graph:
        return " (CUDA graph)"
    return f" (eager: {run.graph_note})" if run.graph_note else ""


def render_predictions(console, run: str, shown, labels) -> None:
    """Test images with the network's three best guesses, like the lecture's CIFAR-10 demo."""
    from rich import box
    from rich.table import Table

    table = Table(
        title=f"top-3 guesses of {run}", box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left"
    )
    for name in ("image", "true", "1st", "2nd", "3rd"):
        table.add_column(name, no_wrap=True)
    for p in shown:
        guesses = [
            f"[{'green' if c == p.label else 'red' if i == 0 else 'default'}]"
            f"{escape(labels[c])} {v:.0%}[/]"
            for i, (c, v) in enumerate(p.top)
        ]
        table.add_row(f"#{p.index}", escape(labels[p.label]), *guesses)
    console.print(table)


def render_confusion(console, run: str, matrix, labels) -> None:
    """The confusion matrix as a table: rows are the true classes, columns the predictions."""
    from rich import box
    from rich.table import Table

    names = [label[:8] for label in labels]
    table = Table(
        title=f"confusion matrix of {run}: rows true, columns predicted",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        title_justify="left",
    )
    table.add_column("true", no_wrap=True)
    for name in names:
        table.add_column(name, justify="right")
    for name, row in zip(names, matrix.tolist(), strict=True):
        cells = [f"[bold]{n}[/bold]" if i == len(table.rows) else str(n) for i, n in enumerate(row)]
        table.add_row(name, *cells)
    console.print(table)


def _loss_text(value: float) -> str:
    """0.0810, or 6.71e+35 for a run that blew up (a table column stays narrow)."""
    return f"{value:.4f}" if abs(value) < 1e5 else f"{value:.3g}"


def render_train_result(console, result, config) -> None:
    """The last words of a run: the lecture's test line, or a race's leaderboard."""
    if config.is_race:
        _render_race(console, result, config)
    else:
        _render_run(console, result, config)


def _render_run(console, result, config) -> None:
    """One run: the lecture's test line (and the EMA's), then its status, time and device."""
    run = result.runs[0]
    if run.test_loss is not None:
        console.print(
            f"Test loss: {run.test_loss:.4f}, Accuracy: {_percent(run.test_accuracy)}",
            markup=False,
            highlight=False,
            style="bold",
        )
    if run.ema_test_loss is not None:
        console.print(
            f"EMA test loss: {run.ema_test_loss:.4f}, Accuracy: {_percent(run.ema_test_accuracy)}",
            markup=False,
            highlight=False,
        )
    speed = f", {run.images_per_second:,.0f} images/s" if run.images_per_second else ""
    console.print(
        f"{run.status}: {run.epochs} of {plural(config.epochs, 'epoch')}, "
        f"{plural(run.steps, 'step')}, {_seconds(run.seconds)} of training{speed}, "
        f"{result.device_name}{_graph_words(run)}",
        markup=False,
        highlight=False,
        style="dim",
        soft_wrap=True,
    )


def _render_race(console, result, config) -> None:
    """A race's leaderboard, ranked by core.views.race_board, then the training time."""
    from rich import box
    from rich.table import Table

    from ..core.views.race_board import rank_runs

    ema = any(r.ema_test_accuracy is not None for r in result.runs)
    graphed = [r.run for r in result.runs if r.cuda_graph]
    graph = ""
    if graphed:
        some = len(graphed) < len(result.runs)
        graph = f" (CUDA graph{' for ' + ', '.join(graphed) if some else ''})"
    table = Table(
        title=f"race on {config.dataset}: {plural(config.epochs, 'epoch')}, "
        f"batch {config.batch_size}, {result.device_name}{graph}",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    columns = ["#", "optimizer", "settings", "acc %", "loss"]
    columns += ["EMA acc %"] if ema else []
    columns += ["epochs", "status"]
    for name in columns:
        # only the settings may wrap (at spaces): the figures stay whole on a narrow terminal
        table.add_column(
            name,
            justify="left" if name in ("optimizer", "settings", "status") else "right",
            no_wrap=name != "settings",
            min_width=12 if name == "settings" else None,
            overflow="fold",
        )
    settings = {o.title: o for o in config.race_settings()}
    ranked = rank_runs(result.runs)
    for place, run in enumerate(ranked, 1):
        option = settings.get(run.run)
        described = option.describe() if option else run.optimizer
        # the settings without the optimizer's name, which has its own column
        name, _, rest = described.partition(" ")
        row = [
            str(place),
            run.run,
            rest if option is not None and name == option.name else described,
            _percent(run.test_accuracy),
            "-" if run.test_loss is None else _loss_text(run.test_loss),
        ]
        if ema:
            row.append(_percent(run.ema_test_accuracy))
        row += [str(run.epochs), run.status]
        table.add_row(*row, style="" if run.status == "done" else "yellow")
    console.print(table)
    speed = result.runs[0].images_per_second
    console.print(
        f"{_seconds(result.runs[0].seconds)} of training"
        + (f", {speed:,.0f} images/s (each through every optimizer)" if speed else ""),
        markup=False,
        highlight=False,
        style="dim",
    )
