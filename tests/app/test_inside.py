"""Pilot tests for Inside (mode 7): the mode key, picking a network (the course network, a run
of the Train session, a checkpoint), a test image, a drawing made with keys, a cell whose
total equals the network's activation, saliency, FGSM and the smallest flipping ε; and one
snapshot at 80x24."""

from __future__ import annotations

import numpy as np
from pilot_waits import wait_for
from textual.widgets import Input

from cnn_tui.app.app import CnnTuiApp
from cnn_tui.app.screens.inside import COURSE, InsideScreen
from cnn_tui.app.widgets.inside.canvas import DrawingCanvas
from cnn_tui.core.course.inside_answers import course_network
from cnn_tui.core.inspect.activations import forward
from cnn_tui.core.inspect.attribution import saliency
from cnn_tui.core.inspect.cell import trace_cell
from cnn_tui.core.inspect.inputs import dataset_image, drawn_image

SMALL = (80, 24)


def inside(pilot) -> InsideScreen:
    screen = pilot.app.screen
    assert isinstance(screen, InsideScreen)
    return screen


async def open_course(pilot) -> InsideScreen:
    """Mode 7, then the course network from the list (enter opens it, the last entry)."""
    await pilot.press("7")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, InsideScreen))
    screen = inside(pilot)
    await pilot.press("enter", "end", "enter")
    await wait_for(pilot, lambda: screen.computed is not None)
    return screen


def footer_text(app) -> str:
    from textual.widgets import Footer

    return " ".join(str(child.render()) for child in app.screen.query_one(Footer).query("*"))


def shown(screen: InsideScreen, widget_id: str) -> str:
    """A Static's text, rendered as plain text 80 columns wide."""
    from rich.console import Console

    console = Console(width=80, record=True, color_system=None)
    console.print(screen.query_one(f"#{widget_id}").content)
    return console.export_text()


async def type_in(pilot, screen: InsideScreen, field: str, text: str) -> None:
    box = screen.query_one(f"#{field}", Input)
    screen.set_focus(box)
    await wait_for(pilot, lambda: box.has_focus)
    box.value = ""
    await pilot.press(*text, "enter")


async def test_key_7_course_network_a_cell_trace_and_where_it_looks():
    app = CnnTuiApp(mode="stepper")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_course(pilot)
        assert screen.network_title == COURSE
        network = course_network()
        image = dataset_image(network, 0)
        seen = forward(network, image)
        assert screen.computed.forward.prediction == seen.prediction
        status = shown(screen, "in-status")
        assert "digits test image 0 (label 0)" in status and "predicted 0 0.998" in status
        # every layer is listed on the Layers tab
        text = shown(screen, "in-layers")
        assert "conv(8,3,p=1)  8x4x4" in text and "fc(10)  10" in text
        # a cell of row 4: its total equals the network's activation there
        await pilot.press("right_square_bracket", "right_square_bracket", "right_square_bracket")
        assert screen.query_one("#in-tabs").active == "in-tab-cell"
        assert "Channels" in footer_text(app) and "Find ε" not in footer_text(app)
        await type_in(pilot, screen, "in-cell", "4,3,1,2")
        assert screen.cell == ("4", 3, 1, 2)
        trace = trace_cell(network, seen, "4", 3, 1, 2)
        assert abs(trace.total - float(seen.layer("4").values[3, 1, 2])) < 1e-5
        text = shown(screen, "in-cell-view")
        assert f"= {trace.total:.5f}" in text and f"network {trace.activation:.5f}" in text
        assert "input channels 0-" in text and "of 4" in text
        # a bad cell says why and keeps the last one
        await type_in(pilot, screen, "in-cell", "2,0,0,0")
        assert "cell traces are for conv and pool layers" in screen.note
        assert screen.cell == ("4", 3, 1, 2)
        # where it looks: the same saliency and Grad-CAM as the core's
        expected = saliency(network, image)
        assert np.array_equal(screen.computed.saliency.saliency, expected.saliency)
        text = shown(screen, "in-looks")
        assert "Grad-CAM on layer 4 conv(8,3,p=1)" in text


async def test_fgsm_epsilon_and_the_smallest_flip(tmp_path):
    app = CnnTuiApp(mode="inside")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_course(pilot)
        await pilot.press("left_square_bracket")  # from the first tab round to the last
        assert screen.query_one("#in-tabs").active == "in-tab-fool"
        assert "Find ε" in footer_text(app)
        await type_in(pilot, screen, "in-eps", "0.058")
        await wait_for(pilot, lambda: screen.computed.fgsm.epsilon == 0.058)
        result = screen.computed.fgsm
        assert result.changed and result.prediction.top3[0].name == "5"
        clean = dataset_image(course_network(), 0).pixels
        sign = np.sign(result.perturbation)
        assert np.allclose(result.pixels, np.clip(clean + 0.058 * sign, 0, 1))
        await pilot.press("escape", "f")
        await wait_for(pilot, lambda: screen.search is not None)
        assert screen.search.epsilon == 0.058
        text = shown(screen, "in-fool")
        assert "smallest flipping ε 0.058: 5 0.515" in text
        # a test image by class: the first 7 of the test set
        await type_in(pilot, screen, "in-class", "7")
        await wait_for(pilot, lambda: screen.computed.image.label == 7)
        # a picture file goes through the same preparation as in the core
        from PIL import Image

        from cnn_tui.core.inspect.inputs import image_file

        picture = tmp_path / "seven.png"
        Image.fromarray((dataset_image(course_network(), 5).pixels[0] * 255).astype("uint8")).save(
            picture
        )
        await type_in(pilot, screen, "in-file", str(picture))
        await wait_for(pilot, lambda: screen.computed.image.source.startswith("seven.png"))
        expected = image_file(course_network(), picture)
        assert np.array_equal(screen.computed.image.pixels, expected.pixels)


async def test_drawing_with_keys_digits_do_not_switch_modes():
    app = CnnTuiApp(mode="lessons")
    async with app.run_test(size=SMALL) as pilot:
        await app.open_target("inside", "course")  # a lesson's '::: try inside course'
        await wait_for(pilot, lambda: isinstance(app.screen, InsideScreen))
        screen = inside(pilot)
        await wait_for(pilot, lambda: screen.computed is not None)
        assert screen.network_title == COURSE
        await pilot.press("d")
        canvas = screen.query_one(DrawingCanvas)
        assert app.focused is canvas
        await pilot.press("c", "1", "4")  # digits type nothing here, and switch no mode
        assert app.screen is screen
        await wait_for(pilot, lambda: screen.computed.image.source == "drawing")
        await pilot.press("home")
        canvas.cursor = (1, 3)
        await pilot.press("space", "down", "space", "down", "space", "b", "down", "space")
        await wait_for(pilot, lambda: screen.computed.image.pixels[0, 4, 3] == 1.0)
        expected = np.zeros((8, 8))
        expected[1:4, 3] = 1.0
        expected[4:6, 3:5] = 1.0
        assert canvas.pixels == expected.tolist()
        seen = forward(course_network(), drawn_image(course_network(), expected))
        assert screen.computed.forward.prediction == seen.prediction
        await pilot.press("escape", "4")  # out of the canvas a digit switches again
        assert app.screen is not screen


async def test_a_train_run_and_a_checkpoint(inspect_checkpoint):
    from cnn_tui.core.inspect.network import load_network, network_from_result
    from cnn_tui.core.training.loop import train
    from cnn_tui.core.training.train_config import TrainConfig

    config = TrainConfig(
        model="conv(2,3) relu flatten fc(10)",
        input_shape=(1, 8, 8),
        epochs=1,
        limit_train=64,
        device="cpu",
    )
    result = train(config)
    app = CnnTuiApp(mode="train")
    async with app.run_test(size=SMALL) as pilot:
        train_screen = app.opened.train
        train_screen.finished.append(result)  # as if the run had just finished there
        train_screen.result, train_screen.metrics = result, result.log
        titles = [title for title, _ in app.session_networks()]
        assert titles == ["Train run 1: sgd (conv(2,3) relu flatten fc(10))"]
        train_screen.tabs.focus()
        await pilot.press("i")  # Train's 'inspect this run' posts InspectRun
        await wait_for(pilot, lambda: isinstance(app.screen, InsideScreen))
        screen = inside(pilot)
        await wait_for(pilot, lambda: screen.computed is not None)
        network = network_from_result(result, "sgd")
        seen = forward(network, dataset_image(network, 0))
        assert screen.computed.forward.prediction == seen.prediction
        # a race's checkpoint: the run field picks one
        await type_in(pilot, screen, "in-path", str(inspect_checkpoint))
        await wait_for(pilot, lambda: "pick one with --run" in screen.note)
        screen.query_one("#in-path", Input).value = str(inspect_checkpoint)
        await type_in(pilot, screen, "in-run", "adam")
        await wait_for(pilot, lambda: screen.network is not None and screen.network.run == "adam")
        await wait_for(pilot, lambda: screen.computed.forward.layers[0].row.row == "1")
        adam = load_network(inspect_checkpoint, run="adam")
        assert (
            screen.computed.forward.prediction == forward(adam, dataset_image(adam, 0)).prediction
        )


async def test_its_checks_answer_before_it_is_composed():
    """Train's footer, rebuilt just after Train's 'i' opened Inside, asks the app's current
    screen about `screen.copy_text` while Inside is still being composed: the answer must
    not need Inside's widgets (it raised NoMatches, which closed the app)."""
    app = CnnTuiApp(mode="stepper")
    async with app.run_test(size=SMALL):
        screen = InsideScreen()
        assert screen.check_action("copy_text", ()) is True
        assert screen.check_action("cell_page", (1,)) is False
        assert screen.check_action("search", ()) is False


def test_snapshot_cell_of_the_course_network_at_80x24(snap_compare):
    """The course network at 80x24 on the Cell tab: the status (course network, digits test
    image 0, predicted 0 0.998), the tabs, the cell field, layer 4's cell (0, 2, 2): the
    total (4 partial sums + bias) equal to the network's, then input channels 0-1 (page 1/2),
    each 3x3 window beside its kernel and its partial sum; the footer with '1-7 Mode'."""

    async def cell(pilot) -> None:
        screen = await open_course(pilot)
        await pilot.press("right_square_bracket", "right_square_bracket", "right_square_bracket")
        await pilot.pause()
        assert screen.cell == ("4", 0, 2, 2)

    assert snap_compare(CnnTuiApp(mode="stepper"), terminal_size=SMALL, run_before=cell)
