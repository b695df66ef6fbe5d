"""BinaryConnect layers: forward is sign(latent) x scale, straight-through gradient, the family config."""

import pytest
import torch
from torch.nn import functional as F

from bingo_studio.config import ModelConfig, RunConfig
from bingo_studio.errors import UserError
from bingo_studio.models import FAMILIES, build_model, prunable_layers
from bingo_studio.models.binary import BinaryLinear, BinaryMLP
from bingo_studio.pruning.methods import plan_for
from bingo_studio.runs import load_run, save_run
from bingo_studio.training.loop import evaluate


def test_forward_is_sign_of_latent_times_the_row_scale():
    torch.manual_seed(0)
    layer = BinaryLinear(6, 4)
    with torch.no_grad():
        layer.weight[0, 1] = 0.0  # pruned: contributes nothing
        layer.scale.copy_(torch.tensor([0.5, 1.0, 2.0, 0.25]))
    x = torch.randn(5, 6)
    signs = torch.where(layer.weight > 0, 1.0, torch.where(layer.weight < 0, -1.0, 0.0))
    expected = x @ (signs * layer.scale[:, None]).T + layer.bias
    assert torch.allclose(layer(x), expected)
    assert set(layer.binary_weight().abs().unique().tolist()) <= {0.0, 0.25, 0.5, 1.0, 2.0}


def test_straight_through_gradient():
    torch.manual_seed(1)
    layer = BinaryLinear(5, 3)
    x = torch.randn(7, 5)
    upstream = torch.randn(7, 3)
    (layer(x) * upstream).sum().backward()
    # d/dw of sign(w) * s taken as s: the latent gets the effective weight's gradient times the scale
    assert torch.allclose(layer.weight.grad, (upstream.T @ x) * layer.scale.detach()[:, None], atol=1e-6)
    signs = torch.sign(layer.weight.detach())
    assert torch.allclose(layer.scale.grad, ((upstream.T @ x) * signs).sum(1), atol=1e-5)


def test_family_config_builds_saves_and_loads(binary_run, tmp_path):
    assert set(FAMILIES) == {"dense", "mam", "binary"}
    model = build_model(ModelConfig(preset="digits-tiny", family="binary"), 64, 10)
    assert isinstance(model, BinaryMLP)
    assert all(isinstance(m, BinaryLinear) for m in prunable_layers(model).values())
    with pytest.raises(UserError, match="family"):
        build_model(ModelConfig(family="ternary"), 64, 10)
    assert RunConfig.from_dict(binary_run.config.to_dict()).model.family == "binary"
    path = save_run(binary_run, tmp_path / "run")
    again = load_run(path)
    assert isinstance(again.model, BinaryMLP)
    x, y = binary_run.get_dataset().tensors("val")
    assert evaluate(again.model, x, y) == evaluate(binary_run.model, x, y)


def test_binary_digits_model_trains_and_prunes(binary_run):
    assert binary_run.metrics["dense_val_accuracy"] > 0.85
    plan = plan_for(binary_run, "gmp")
    result = plan.prune(plan.dense_val_accuracy - 0.05)
    assert result.floor_met and result.sparsity > 0.05
    # the pruned copy's latent zeros are absent connections in the binary forward
    pruned = plan.apply(result.n_pruned)
    for layer in prunable_layers(pruned).values():
        assert torch.equal(layer.binary_weight() == 0, layer.weight == 0)
    w = pruned.fc0.binary_weight().detach()
    x = torch.randn(3, 64)
    assert torch.allclose(pruned.fc0(x), F.linear(x, w, pruned.fc0.bias))
