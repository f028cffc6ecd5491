"""What each part of the inside view shows, from the screen's state (the network, the
computed image, the cell, ε): Rich renderables built with views.py. User text (file names,
run names) is plain Text."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from ....core.plain_text import visible
from . import views


def status_of(screen: Any) -> RenderableType:
    network, computed = screen.network, screen.computed
    line = Text()
    if network is None:
        line.append("no network: ", "bold")
        line.append("the Network tab picks one (t trains a small one now)")
    else:
        line.append("network ", "dim")
        line.append(visible(screen.network_title), "bold")
        if computed is not None:
            image = computed.image
            label = "" if image.label is None else f" (label {network.labels[image.label]})"
            line.append("\ninput ", "dim")
            line.append(visible(image.source) + label)
            line.append("  predicted ", "dim")
            line.append(views.top3(computed.forward.prediction), "bold")
    if screen.note:
        line.append("\n" + visible(screen.note), "yellow")
    return line


NONE_YET = (
    "No network picked yet. Pick the course network above (trained once on the digits, shipped "
    "with the course), press t to train a small one now (a few seconds), train one on Train "
    "(4) and come back (its runs are listed above; i on Train opens a finished run here), or "
    "type a checkpoint file written by train --save and press enter."
)


def network_note(screen: Any) -> RenderableType:
    network = screen.network
    if network is None:
        return Text(NONE_YET)
    text = Text()
    text.append(visible(screen.network_title) + "\n", "bold")
    weights = "averaged (EMA) weights" if network.ema else "raw weights"
    text.append(f"{network.dataset}, input {'x'.join(map(str, network.input_shape))}, {weights}\n")
    for row in network.rows:
        shape = "x".join(map(str, row.output_shape))
        text.append(f"{'  ' * row.depth}{row.row:>4} {row.name}  {shape}\n")
    text.rstrip()
    return text


def canvas_note(screen: Any) -> RenderableType:
    canvas = screen.query_one("#in-canvas")
    return Text(
        f"tab here, then arrows move, space paints, x erases, c clears, b brush ({canvas.brush})"
        "; or drag the mouse",
        style="dim",
    )


def probabilities_of(screen: Any) -> RenderableType:
    if screen.computed is None:
        return Text("")
    return views.probabilities(screen.computed.forward.prediction)


def layers_of(screen: Any, width: int) -> RenderableType:
    computed, network = screen.computed, screen.network
    if computed is None or network is None:
        return Text("Pick a network and an image first.")
    blocks: list[RenderableType] = [
        Text("every layer's output for this image (pgup/pgdn scroll)", style="dim")
    ]
    blocks += [views.layer_block(a, width, network.labels) for a in computed.forward.layers]
    blocks.append(Text("class probabilities (* top-3)", style="bold"))
    blocks.append(views.probabilities(computed.forward.prediction))
    return Group(*blocks)


def cell_of(screen: Any, height: int) -> RenderableType:
    from ....core.inspect.cell import trace_cell
    from ....core.inspect.network import InspectError

    computed, network = screen.computed, screen.network
    if computed is None or network is None or screen.cell is None:
        return Text("Pick a network and an image first; then type a cell (a conv or pool layer).")
    try:
        trace = trace_cell(network, computed.forward, *screen.cell)
    except InspectError as exc:
        return Text(visible(str(exc)), style="yellow")
    per_page = views.cell_pages(trace, height)
    pages = max(1, -(-len(trace.input_channels) // per_page))
    screen.cell_page = min(screen.cell_page, pages - 1)
    return views.cell_view(trace, screen.cell_page, per_page)


def looks_of(screen: Any, width: int) -> RenderableType:
    from ....core.views.inside_pictures import heat_over, pixels_picture

    computed = screen.computed
    if computed is None:
        return Text("Pick a network and an image first.")
    found, pixels = computed.saliency, computed.image.pixels
    side = 16
    items = [
        ("input", views.picture(pixels_picture(pixels), side)),
        ("saliency", views.picture(heat_over(pixels, found.saliency), side)),
    ]
    if found.gradcam_map is not None:
        items.append(("Grad-CAM", views.picture(heat_over(pixels, found.gradcam_map), side)))
    layer = found.gradcam_layer
    where = "" if layer is None else f"; Grad-CAM on layer {layer.row} {layer.name}"
    return Group(
        Text(f"where it looks for class {found.name} (score {found.score:.4g}){where}"),
        views.captioned(items, width),
        Text(
            "saliency: |d score / d pixel|, largest over the channels; Grad-CAM: the last "
            "conv's maps weighted by their mean gradient, ReLU, resized to the input. Red = "
            "more.",
            style="dim",
        ),
    )


def fool_of(screen: Any, width: int) -> RenderableType:
    from ....core.views.inside_pictures import grey, pixels_picture

    computed = screen.computed
    if computed is None:
        return Text("Pick a network and an image first.")
    result, side = computed.fgsm, 16
    items = [
        ("input", views.picture(pixels_picture(computed.image.pixels), side)),
        ("ε·sign(∇x L)", views.picture(grey(result.perturbation.mean(axis=0), True), side)),
        ("perturbed", views.picture(pixels_picture(result.pixels), side)),
    ]
    flipped = ("top class changed", "bold red") if result.changed else ("same top class", "green")
    lines = Text.assemble(
        f"ε = {result.epsilon:g}: ",
        flipped,
        "\nbefore ",
        views.top3(computed.forward.prediction),
        "\nafter  ",
        views.top3(result.prediction),
    )
    search = screen.search
    if search is None:
        found = Text("f finds the smallest ε that flips it (0.001 steps up to 0.5)", style="dim")
    elif search.epsilon is None:
        found = Text(f"no ε up to {search.limit:g} flips it")
    else:
        top = views.top3(search.result.prediction)
        found = Text.assemble("smallest flipping ε ", (f"{search.epsilon:g}", "bold"), f": {top}")
    return Group(lines, views.captioned(items, width), found)
