"""The `train` subcommand: headless training, its live view and stop signals."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import Any

from ..core.plain_text import plural, visible
from ..core.safe_files import same_file
from ..core.stacks.tally import short_bytes
from ..core.training.train_config import parse_augment
from .app_launch import open_app
from .common import (
    EXIT_BAD_INPUT,
    UsageError,
    _console,
    _error,
    _load_stack,
    _percent,
    _print_json,
    _seconds,
)
from .render import render_confusion, render_predictions, render_train_result

EXIT_RUN_FAILED = 1
EXIT_INTERRUPTED = 130
STOP_SIGNALS = ("SIGTERM", "SIGHUP")
"""Signals that end a run like Ctrl+C (`timeout`, `docker stop`, a closed SSH session); the
exit status is 128 + the signal's number: 143 and 129."""


@contextlib.contextmanager
def stop_on_signals(stop: Any):
    """While inside: SIGTERM and SIGHUP set `stop` (the run ends within one batch, then its
    files are written and its results printed) and are listed in the yielded list; the old
    handlers are back afterwards. Off the main thread (where Python cannot take signals) it
    installs nothing."""
    import signal
    import threading

    received: list[int] = []

    def on_signal(number: int, _frame: object) -> None:
        received.append(number)
        stop.set()  # only flags: the main thread says so, outside the handler

    numbers = [getattr(signal, name) for name in STOP_SIGNALS if hasattr(signal, name)]
    if threading.current_thread() is not threading.main_thread():
        numbers = []
    old = {number: signal.signal(number, on_signal) for number in numbers}
    try:
        yield received
    finally:
        for number, handler in old.items():
            signal.signal(number, handler)


def signal_name(number: int) -> str:
    import signal

    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def train_config_from_args(args: argparse.Namespace):
    """The TrainConfig the command line asks for (ConfigError/DatasetError name the setting)."""
    from ..core.training.data import dataset_info
    from ..core.training.train_config import (
        OptimizerSettings,
        TrainConfig,
        parse_classes,
        parse_race,
    )

    common: dict[str, Any] = {"momentum": args.momentum, "weight_decay": args.weight_decay}
    if args.betas is not None:
        common["betas"] = args.betas
    if args.race:
        optimizers = parse_race(args.race, lr=args.lr, **common)
    else:
        optimizers = (OptimizerSettings(name=args.optimizer.lower(), lr=args.lr, **common),)
    options: dict[str, Any] = {}
    for name in (
        "schedule",
        "step_epochs",
        "gamma",
        "batch_size",
        "epochs",
        "seed",
        "device",
        "cpu_threads",
        "eval_every",
        "log_every",
        "test_batch_size",
    ):
        value = getattr(args, name)
        if value is not None:
            options[name] = value
    return TrainConfig(
        model=args.model,
        input_shape=args.input,
        dataset=dataset_info(args.dataset).name,
        optimizers=optimizers,
        data_dir=args.data_dir,
        download=args.download,
        augment=parse_augment(args.augment or ""),
        ema_decay=args.ema,
        limit_train=args.limit_train,
        cuda_graph=not args.no_cuda_graph,
        classes=parse_classes(args.classes) if args.classes is not None else None,
        finetune=args.finetune,
        finetune_run=args.run,
        freeze=args.freeze or "none",
        new_head=args.new_head,
        **options,
    )


class TrainView:
    """Prints a training run as it goes: a Rich progress bar, the lecture's log lines, epochs.

    report() is called on the training thread; Rich's console and progress take their own locks.
    """

    def __init__(self, console, config) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = console
        self.config = config
        self.race = config.is_race
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self.tasks: dict[str, Any] = {}
        self.epochs = config.epochs
        self.header_printed = False
        self.epochs_printed: set[int] = set()

    def __enter__(self) -> TrainView:
        if self.console.is_terminal:  # a pipe or a file gets the lines without the bar
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress.live.is_started:
            self.progress.stop()

    def _prefix(self, run: str) -> str:
        return f"[{run}] " if self.race else ""

    def print(self, text: str, style: str = "") -> None:
        from rich.text import Text

        # a styled Text, not print(style=...): that style would also tint the live bar below
        # the header names the model as typed (a path, a spec): its control characters shown
        self.progress.console.print(
            Text(visible(text, keep="\n"), style=style), highlight=False, soft_wrap=True
        )

    def report(self, point) -> None:
        handler = getattr(self, f"_on_{point.kind}", None)
        if handler is not None:
            handler(point)

    def _task(self, run: str, total: int | None = None):
        if run not in self.tasks:
            self.tasks[run] = self.progress.add_task(
                run if self.race else "training", total=total, status=""
            )
        return self.tasks[run]

    def _on_start(self, point) -> None:
        extra = point.extra
        self._task(point.run, extra.get("total_steps"))
        if self.header_printed:
            return  # one header for a whole race
        self.header_printed = True
        runs = f"{len(self.config.optimizers)} optimizers racing, " if self.race else ""
        steps = plural(extra.get("steps_per_epoch", 0), "step")
        self.print(
            f"{self.config.model} on {extra.get('dataset') or self.config.dataset}: "
            f"{extra.get('train_size', 0):,} training and {extra.get('test_size', 0):,} test "
            f"images, {extra.get('params', 0):,} parameters, {runs}"
            f"{extra.get('device_name') or extra.get('device', '?')}"
            f"{' (CUDA graph)' if extra.get('cuda_graph') else ''}, "
            f"{plural(self.epochs, 'epoch')} of {steps} (batch {self.config.batch_size})",
            style="dim",
        )

    def _on_train(self, point) -> None:
        # the epoch's mean so far, as the app's board shows it (alone or in a race alike)
        status = f"epoch {point.epoch + 1}/{self.epochs}"
        loss = point.extra.get("epoch_loss", point.loss)
        accuracy = point.extra.get("epoch_accuracy", point.accuracy)
        if loss is not None:
            status += f"  loss {loss:.4f}"
        if accuracy is not None:
            status += f"  acc {accuracy * 100:.1f}%"
        if point.memory_bytes:
            status += f"  {short_bytes(point.memory_bytes)}"
        self.progress.update(self._task(point.run), completed=point.step, status=status)

    def _on_log(self, point) -> None:
        # the lecture's line, with the loss as Python prints a float
        self.print(
            f"{self._prefix(point.run)}Train Epoch: {point.epoch}, "
            f"iteration: {point.iteration}, Loss: {point.loss}"
        )

    def _on_test(self, point) -> None:
        text = (
            f"{self._prefix(point.run)}Epoch {point.epoch} step {point.step:,}: "
            f"test loss {point.loss:.4f}, accuracy {_percent(point.accuracy)}%"
        )
        if point.ema_accuracy is not None:
            text += f"; EMA loss {point.ema_loss:.4f}, accuracy {_percent(point.ema_accuracy)}%"
        self.print(text, style="cyan")

    def _on_epoch(self, point) -> None:
        self.progress.update(self._task(point.run), completed=point.step)
        if point.epoch in self.epochs_printed:
            return  # a race's optimizers share their batches and so their epoch time
        self.epochs_printed.add(point.epoch)
        text = f"Epoch {point.epoch} done"
        if point.epoch_seconds is not None:
            text += f" in {_seconds(point.epoch_seconds)}"
        if point.images_per_second is not None:
            text += f", {point.images_per_second:,.0f} images/s"
        self.print(text, style="dim")

    def _on_done(self, point) -> None:
        task = self._task(point.run)
        self.progress.update(task, completed=self.progress.tasks[task].total or point.step)

    def _on_stopped(self, point) -> None:
        self.print(
            f"{self._prefix(point.run)}stopped in epoch {point.epoch} after {point.step:,} steps",
            style="yellow",
        )

    def _on_error(self, point) -> None:
        _error(f"{self._prefix(point.run)}{point.message}")


def _confusion_matrices(result) -> dict[str, Any]:
    """counts[true, predicted] of every run that has a network, from core.training.model_views."""
    from ..core.training.model_views import confusion_matrix

    if result.data is None:
        return {}
    return {
        run.run: confusion_matrix(run.model, result.data)
        for run in result.runs
        if run.model is not None
    }


def _predictions(result, count: int) -> dict[str, Any]:
    from ..core.training.model_views import top_predictions

    if result.data is None:
        return {}
    return {
        run.run: top_predictions(run.model, result.data, count=count)
        for run in result.runs
        if run.model is not None
    }


def cmd_train(args: argparse.Namespace) -> int:
    import threading

    config = train_config_from_args(args)  # bad settings stop here, before torch is imported
    if args.app:
        extras = [
            flag
            for flag, value in (
                ("--json", args.json),
                ("--metrics-out", args.metrics_out),
                ("--save", args.save),
            )
            if value
        ]
        if extras:
            raise UsageError(f"--app trains in the app: leave out {', '.join(extras)}")
        _load_stack(config.model, config.input_shape).output_shape()  # named before the app
        return open_app("train", train_config=config)
    from ..core.training.checkpoints import check_writable
    from ..core.training.devices import TrainingError

    if args.save and args.metrics_out and same_file(args.save, args.metrics_out):
        raise UsageError(
            f"--save {args.save} and --metrics-out {args.metrics_out} name the same file: "
            "one would overwrite the other"
        )
    for flag, path in (("--save", args.save), ("--metrics-out", args.metrics_out)):
        try:
            if path:
                check_writable(path, flag)  # now: after the run, a refusal would lose it
        except TrainingError as exc:
            raise UsageError(str(exc)) from None
    stop = threading.Event()
    with stop_on_signals(stop) as received:
        return _train_and_report(args, config, stop, received)


def _train_and_report(args: argparse.Namespace, config: Any, stop: Any, received: list[int]) -> int:
    """Run the training on a thread, stop it on Ctrl+C or a stop signal, then write its files
    and print its results: all of them, whatever the other writes and the run did."""
    from ..core.training.data import DatasetError
    from ..core.training.devices import TrainingError

    console = _console(stderr=args.json)
    outcome, interrupted = _run_on_a_thread(args, config, stop, received, console)
    error = outcome.get("error")
    if isinstance(error, (TrainingError, DatasetError)):
        _error(str(error))
        return EXIT_BAD_INPUT
    if error is not None:
        raise error  # StackError / ConfigError: main() prints them; anything else is a bug
    result = outcome["result"]
    problems = _write_files(args, result)
    _print_results(args, console, result, config)
    for problem in problems:
        _error(problem)  # after the results, which are not lost
    if problems:
        return EXIT_BAD_INPUT
    if received:
        return 128 + received[0]  # the shell's status for a signal: 143 SIGTERM, 129 SIGHUP
    if interrupted or any(run.status == "stopped" for run in result.runs):
        return EXIT_INTERRUPTED
    if any(run.status == "error" for run in result.runs):
        return EXIT_RUN_FAILED
    return 0


def _run_on_a_thread(
    args: argparse.Namespace, config: Any, stop: Any, received: list[int], console: Any
) -> tuple[dict[str, Any], bool]:
    """Train on a worker thread while this one takes Ctrl+C and announces a stop signal:
    the outcome ("result" or "error") and whether Ctrl+C stopped the run."""
    import threading

    from ..core.training.loop import train

    outcome: dict[str, Any] = {}

    view = TrainView(console, config)
    finished = threading.Event()

    def work() -> None:
        try:
            outcome["result"] = train(config, view.report, stop, save=args.save)
        except BaseException as exc:  # handed to the main thread, which reports it
            outcome["error"] = exc
        finally:
            finished.set()

    # training runs on a thread so that Ctrl+C reaches the main thread, which sets `stop`:
    # the engine then ends within one batch and returns what it finished. The main thread
    # waits on an Event, not Thread.join: a KeyboardInterrupt inside join() can mark a thread
    # that is still running as finished (CPython bpo-45274).
    worker = threading.Thread(target=work, name="cnn-tui-train", daemon=True)
    interrupted = False
    announced = False
    with view:
        worker.start()
        while not finished.is_set():
            try:
                finished.wait(0.1)
                if received and not announced:
                    announced = True  # said here, not in the handler, which may cut a print
                    view.print(
                        f"got {signal_name(received[0])}: stopping after this batch, then "
                        "saving what is done",
                        "yellow",
                    )
            except KeyboardInterrupt:
                if interrupted:
                    _error("interrupted again: quitting without waiting for the run")
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(EXIT_INTERRUPTED)  # the run holds the device: no clean way out
                interrupted = True
                stop.set()
                view.print("stopping after this batch (Ctrl+C again to quit at once)", "yellow")
    worker.join()
    return outcome, interrupted


def _write_files(args: argparse.Namespace, result: Any) -> list[str]:
    """Write the metrics file and name the checkpoint the run saved: the problems met."""
    problems: list[str] = []
    if args.metrics_out:
        from pathlib import Path

        from ..core.safe_files import write_atomic

        try:
            write_atomic(Path(args.metrics_out), result.log.to_jsonl())
            _console(stderr=True).print(
                f"wrote {args.metrics_out}", style="dim", markup=False, soft_wrap=True
            )
        except OSError as exc:
            problems.append(f"metrics not written to {args.metrics_out}: {exc.strerror or exc}")
    if result.save_error:
        problems.append(result.save_error)
    if args.save and result.checkpoint is not None:
        _console(stderr=True).print(
            f"saved {result.checkpoint}", style="dim", markup=False, soft_wrap=True
        )
    return problems


def _print_results(args: argparse.Namespace, console: Any, result: Any, config: Any) -> None:
    """The final JSON summary, or the result, confusion and prediction tables."""
    confusion = _confusion_matrices(result) if args.confusion else {}
    predictions = _predictions(result, args.predictions) if args.predictions else {}
    if args.json:
        summary = result.summary()
        if args.confusion:
            summary["labels"] = list(result.data.labels) if result.data is not None else []
            summary["confusion"] = {run: m.tolist() for run, m in confusion.items()}
        if args.predictions:
            summary["predictions"] = {
                run: [
                    {"index": p.index, "label": p.label, "top": [[c, v] for c, v in p.top]}
                    for p in shown
                ]
                for run, shown in predictions.items()
            }
        _print_json(summary)
    else:
        render_train_result(console, result, config)
        for run, matrix in confusion.items():
            render_confusion(console, run, matrix, result.data.labels)
        for run, shown in predictions.items():
            render_predictions(console, run, shown, result.data.labels)
