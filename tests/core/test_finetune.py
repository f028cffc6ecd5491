"""Transfer in small: a subset of classes, a run started from a checkpoint, frozen conv layers."""

from __future__ import annotations

import pytest
from training_helpers import TINY, tiny

torch = pytest.importorskip("torch")

from cnn_tui.cli import main  # noqa: E402
from cnn_tui.core.training.data import load_dataset  # noqa: E402
from cnn_tui.core.training.devices import TrainingError  # noqa: E402
from cnn_tui.core.training.loop import train  # noqa: E402
from cnn_tui.core.training.train_config import (  # noqa: E402
    ConfigError,
    TrainConfig,
    parse_classes,
)


@pytest.fixture(scope="module")
def first_half(tmp_path_factory):
    """TINY trained one epoch on digits 0-4 and saved."""
    target = tmp_path_factory.mktemp("finetune") / "zero_to_four.pt"
    train(tiny(classes=(0, 1, 2, 3, 4)), save=target)
    return target


def test_classes_keep_their_images_and_limit_counts_per_class():
    data = load_dataset("digits", (1, 8, 8), classes=(5, 6, 7, 8, 9), limit_train=50)
    assert torch.bincount(data.train_y, minlength=10).tolist() == [0] * 5 + [50] * 5
    assert set(data.test_y.tolist()) == {5, 6, 7, 8, 9}
    fixed = load_dataset("digits", (1, 8, 8), limit_train=8, normalisation=([0.5], [0.25]))
    assert fixed.mean.tolist() == [0.5] and fixed.std.tolist() == [0.25]


def test_classes_are_read_and_checked():
    assert parse_classes("0-4") == (0, 1, 2, 3, 4)
    assert parse_classes("9, 5,7-8") == (5, 7, 8, 9)
    with pytest.raises(ConfigError, match="expected numbers and ranges"):
        parse_classes("a-b")
    with pytest.raises(ConfigError, match="4-2 is not a range"):
        parse_classes("4-2")
    config = tiny(classes=(5, 6), finetune="x.pt", finetune_run="sgd", freeze="conv")
    assert TrainConfig.from_dict(config.to_dict()) == config
    with pytest.raises(TrainingError, match="class 12 is not in digits: its classes are 0-9"):
        train(tiny(classes=(3, 12)))


def test_a_finetuned_run_starts_from_the_checkpoint_with_the_convs_frozen(first_half):
    saved = torch.load(first_half, weights_only=True)
    config = tiny(classes=(5, 6, 7, 8, 9), limit_train=20, finetune=str(first_half), freeze="conv")
    run = train(config).runs[0]
    state = run.model.state_dict()
    before = saved["runs"]["sgd"]["state_dict"]
    assert torch.equal(state["0.weight"], before["0.weight"])  # conv(4,3): frozen
    assert torch.equal(state["0.bias"], before["0.bias"])
    assert not torch.equal(state["4.weight"], before["4.weight"])  # linear(10): trained
    assert run.status == "done"


def test_a_checkpoint_of_another_stack_or_a_frozen_whole_is_refused(first_half):
    other = tiny(model="conv(2,3) relu flatten linear(10)", finetune=str(first_half))
    with pytest.raises(
        TrainingError, match=r"fine-tune it with --model \"conv\(4,3\) relu maxpool"
    ):
        train(other)
    with pytest.raises(TrainingError, match="--freeze conv leaves no parameters to train"):
        train(tiny(model="conv(10,8) flatten", freeze="conv"))


def test_the_command_line_takes_the_transfer_flags(first_half, capsys):
    args = ["train", "--model", TINY, "--input", "1x8x8", "--device", "cpu", "--epochs", "1"]
    assert main([*args, "--run", "sgd"]) == 2
    assert "names a run of the --finetune checkpoint" in capsys.readouterr().err
    assert main([*args, "--classes", "five"]) == 2
    assert "expected numbers and ranges such as 0-4" in capsys.readouterr().err
    tail = ["--classes", "5-9", "--limit-train", "10", "--finetune", str(first_half)]
    assert main([*args, *tail, "--freeze", "conv", "--json"]) == 0
    assert "50 training and" in capsys.readouterr().err


def test_a_new_head_starts_the_last_linear_layer_afresh_from_the_seed(first_half):
    from torch import nn

    from cnn_tui.core.training.finetune import Start, prepare_model

    saved = torch.load(first_half, weights_only=True)["runs"]["sgd"]["state_dict"]
    heads = []
    for _ in range(2):
        model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())
        model.append(nn.Linear(36, 10))
        torch.manual_seed(7)
        prepare_model(model, Start(saved, [], []), "conv", new_head=True)
        assert torch.equal(model[0].weight, saved["0.weight"])  # the convs keep the checkpoint's
        assert not torch.equal(model[4].weight, saved["4.weight"])
        assert not model[0].weight.requires_grad and model[4].weight.requires_grad
        heads.append(model[4].weight.detach().clone())
    assert torch.equal(heads[0], heads[1])  # the same seed, the same fresh head
    with pytest.raises(TrainingError, match="--new-head needs a linear layer"):
        prepare_model(nn.Sequential(nn.Conv2d(1, 2, 3)), None, "none", new_head=True)
